//! The report as a Word document (.docx) for the office to edit and file: the title, the six
//! sections under their headings, tables 二, 三 and 四 with merged header cells (`w:gridSpan`,
//! `w:vMerge`) and borders, on A4; tables 三 and 四 on landscape pages of their own.
//!
//! A WordprocessingML package written by hand: content types, relationships, core properties,
//! styles and the document, deflated into a zip.

use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::render::{esc, title};
use super::xlsx::{Body, CJK_FONT, Grid, Role, paragraphs, sections};
use super::{AnnualReport, Narrative};

/// The East Asian font of the headings.
const HEADING_FONT: &str = "黑体";

/// A4, in twentieths of a point.
const A4_SHORT: u32 = 11906;
const A4_LONG: u32 = 16838;
/// The page margins: portrait 2.54 cm top and bottom, 3.17 cm left and right (Word's
/// Chinese default); landscape 2 cm all round, for table 三 to fit one page.
const PORTRAIT_MARGIN: u32 = 1440;
const PORTRAIT_SIDE_MARGIN: u32 = 1800;
const LANDSCAPE_MARGIN: u32 = 1134;

/// The report as a .docx package.
pub fn to_docx(report: &AnnualReport, narrative: &Narrative) -> Vec<u8> {
    let title = title(report);
    let parts = [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", PACKAGE_RELS.to_string()),
        ("docProps/core.xml", core_properties(&title, &report.agency)),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
        ("word/styles.xml", styles()),
        ("word/document.xml", document(&title, report, narrative)),
    ];
    package(&parts).expect("writing a zip to memory does not fail")
}

fn package(parts: &[(&str, String)]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, text) in parts {
        zip.start_file(*name, options)?;
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

/// Text for XML: escaped, without the control characters XML 1.0 cannot carry.
fn xml(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    esc(&kept)
}

// ---------------------------------------------------------------------------------------------
// The document

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Orientation {
    Portrait,
    Landscape,
}

impl Orientation {
    fn section_properties(self) -> String {
        let (width, height, top, side, orient) = match self {
            Orientation::Portrait => (A4_SHORT, A4_LONG, PORTRAIT_MARGIN, PORTRAIT_SIDE_MARGIN, ""),
            Orientation::Landscape => (
                A4_LONG,
                A4_SHORT,
                LANDSCAPE_MARGIN,
                LANDSCAPE_MARGIN,
                " w:orient=\"landscape\"",
            ),
        };
        format!(
            "<w:sectPr><w:pgSz w:w=\"{width}\" w:h=\"{height}\"{orient}/>\
             <w:pgMar w:top=\"{top}\" w:right=\"{side}\" w:bottom=\"{top}\" \
             w:left=\"{side}\" w:header=\"567\" w:footer=\"567\" w:gutter=\"0\"/></w:sectPr>"
        )
    }

    /// The width between the margins.
    fn text_width(self) -> u32 {
        match self {
            Orientation::Portrait => A4_SHORT - 2 * PORTRAIT_SIDE_MARGIN,
            Orientation::Landscape => A4_LONG - 2 * LANDSCAPE_MARGIN,
        }
    }
}

fn document(title: &str, report: &AnnualReport, narrative: &Narrative) -> String {
    let mut body = String::new();
    paragraph(&mut body, "Title", title);
    let mut page = Orientation::Portrait;
    for section in sections(report, narrative) {
        let wanted = match &section.body {
            Body::Table(grid) if grid.wide => Orientation::Landscape,
            _ => Orientation::Portrait,
        };
        // A change of orientation closes the section so far with a paragraph carrying it.
        if wanted != page {
            let _ = write!(
                body,
                "<w:p><w:pPr>{}</w:pPr></w:p>",
                page.section_properties()
            );
            page = wanted;
        }
        paragraph(&mut body, "Heading1", section.heading);
        match &section.body {
            Body::Text(text) => {
                for line in paragraphs(text) {
                    paragraph(&mut body, "BodyText", line);
                }
            }
            Body::Table(grid) => table(&mut body, grid, page.text_width()),
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:document xmlns:w=\"{W}\"><w:body>{body}{}</w:body></w:document>",
        page.section_properties()
    )
}

fn paragraph(out: &mut String, style: &str, text: &str) {
    let _ = write!(
        out,
        "<w:p><w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>{}</w:p>",
        run(text, "")
    );
}

fn run(text: &str, properties: &str) -> String {
    let properties = if properties.is_empty() {
        String::new()
    } else {
        format!("<w:rPr>{properties}</w:rPr>")
    };
    format!(
        "<w:r>{properties}<w:t xml:space=\"preserve\">{}</w:t></w:r>",
        xml(text)
    )
}

/// A grid as a Word table `width` wide: a merged cell spans columns with `w:gridSpan` and
/// rows with `w:vMerge` (restarted where it begins, continued, empty, in each row below).
fn table(out: &mut String, grid: &Grid, width: u32) {
    let total: f64 = grid.widths.iter().sum();
    let columns: Vec<u32> = grid
        .widths
        .iter()
        .map(|w| (w / total * f64::from(width)).floor() as u32)
        .collect();
    let border = |side: &str| {
        format!("<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>")
    };
    let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"]
        .iter()
        .map(|side| border(side))
        .collect();
    let _ = write!(
        out,
        "<w:tbl><w:tblPr><w:tblW w:w=\"{}\" w:type=\"dxa\"/><w:jc w:val=\"center\"/>\
         <w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type=\"fixed\"/>\
         <w:tblCellMar><w:left w:w=\"40\" w:type=\"dxa\"/><w:right w:w=\"40\" w:type=\"dxa\"/>\
         </w:tblCellMar></w:tblPr><w:tblGrid>",
        columns.iter().sum::<u32>()
    );
    for column in &columns {
        let _ = write!(out, "<w:gridCol w:w=\"{column}\"/>");
    }
    out.push_str("</w:tblGrid>");
    for row in 0..grid.rows {
        let header = if row < grid.header_rows {
            "<w:tblHeader/>"
        } else {
            ""
        };
        let _ = write!(out, "<w:tr><w:trPr><w:cantSplit/>{header}</w:trPr>");
        for (cell, continued) in grid.row_cells(row) {
            let cell_width: u32 = columns[cell.col..cell.col + cell.cols].iter().sum();
            let _ = write!(
                out,
                "<w:tc><w:tcPr><w:tcW w:w=\"{cell_width}\" w:type=\"dxa\"/>"
            );
            if cell.cols > 1 {
                let _ = write!(out, "<w:gridSpan w:val=\"{}\"/>", cell.cols);
            }
            match (cell.rows > 1, continued) {
                (true, false) => out.push_str("<w:vMerge w:val=\"restart\"/>"),
                (true, true) => out.push_str("<w:vMerge/>"),
                _ => {}
            }
            out.push_str("<w:vAlign w:val=\"center\"/></w:tcPr>");
            if continued {
                out.push_str("<w:p><w:pPr><w:pStyle w:val=\"TableText\"/></w:pPr></w:p>");
            } else {
                let (align, properties) = match cell.role {
                    Role::Header => ("center", "<w:b/>"),
                    Role::Label => ("left", ""),
                    Role::Figure => ("center", ""),
                    Role::Note => ("center", "<w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>"),
                };
                let _ = write!(
                    out,
                    "<w:p><w:pPr><w:pStyle w:val=\"TableText\"/><w:jc w:val=\"{align}\"/></w:pPr>{}</w:p>",
                    run(&cell.text, properties)
                );
            }
            out.push_str("</w:tc>");
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
}

// ---------------------------------------------------------------------------------------------
// The package's other parts

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>";

const PACKAGE_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>";

const DOCUMENT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
</Relationships>";

fn core_properties(title: &str, agency: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <cp:coreProperties \
         xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
         <dc:title>{}</dc:title><dc:creator>{}</dc:creator><dc:language>zh-CN</dc:language>\
         </cp:coreProperties>",
        xml(title),
        xml(agency)
    )
}

/// The styles: 宋体 body text (小四, first line indented two characters), the title (小二,
/// bold, centred), 黑体 section headings (四号) and table text (10 points, for table 三 to fit a
/// landscape page).
fn styles() -> String {
    let style = |id: &str, name: &str, properties: &str| {
        format!(
            "<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/>\
             <w:basedOn w:val=\"Normal\"/><w:qFormat/>{properties}</w:style>"
        )
    };
    let size = |half_points: u32| {
        format!("<w:sz w:val=\"{half_points}\"/><w:szCs w:val=\"{half_points}\"/>")
    };
    [
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <w:styles xmlns:w=\"{W}\"><w:docDefaults><w:rPrDefault><w:rPr>\
             <w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" \
             w:eastAsia=\"{CJK_FONT}\" w:cs=\"Times New Roman\"/>{}\
             <w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/></w:rPr></w:rPrDefault>\
             <w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"360\" w:lineRule=\"auto\"/>\
             </w:pPr></w:pPrDefault></w:docDefaults>\
             <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\">\
             <w:name w:val=\"Normal\"/><w:qFormat/></w:style>",
            size(24)
        ),
        style(
            "Title",
            "Title",
            &format!(
                "<w:pPr><w:spacing w:before=\"240\" w:after=\"360\"/><w:jc w:val=\"center\"/>\
                 </w:pPr><w:rPr><w:b/>{}</w:rPr>",
                size(36)
            ),
        ),
        style(
            "Heading1",
            "heading 1",
            &format!(
                "<w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"120\"/>\
                 <w:outlineLvl w:val=\"0\"/></w:pPr>\
                 <w:rPr><w:rFonts w:eastAsia=\"{HEADING_FONT}\"/>{}</w:rPr>",
                size(28)
            ),
        ),
        style(
            "BodyText",
            "Body Text",
            "<w:pPr><w:ind w:firstLineChars=\"200\" w:firstLine=\"480\"/><w:jc w:val=\"both\"/></w:pPr>",
        ),
        style(
            "TableText",
            "表格文字",
            &format!(
                "<w:pPr><w:spacing w:line=\"250\" w:lineRule=\"exact\"/><w:jc w:val=\"center\"/>\
                 </w:pPr><w:rPr>{}</w:rPr>",
                size(20)
            ),
        ),
        "</w:styles>".to_string(),
    ]
    .concat()
}

/// A letter (答复书…) as a .docx package on A4 portrait, in the report's styles. The letter's
/// text is as the letter renderer writes it, a paragraph a line: the agency, the title and
/// the document number (centred, the title in the title style), the salutation and the body
/// (first lines indented), and the closing — agency and date — right-aligned.
pub fn letter_to_docx(title: &str, text: &str, agency: &str) -> Vec<u8> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let heading = lines
        .iter()
        .position(|l| *l == title)
        .map_or(0, |i| (i + 2).min(lines.len()));
    let closing = lines.len() >= 2
        && lines[lines.len() - 2] == agency.trim()
        && lines[lines.len() - 1].ends_with('日');
    let centred = |body: &mut String, line: &str| {
        let _ = write!(
            body,
            "<w:p><w:pPr><w:jc w:val=\"center\"/><w:spacing w:after=\"120\"/></w:pPr>{}</w:p>",
            run(line, "")
        );
    };
    let mut body = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i < heading && *line == title {
            paragraph(&mut body, "Title", line);
        } else if i < heading {
            centred(&mut body, line);
        } else if closing && i + 2 >= lines.len() {
            let _ = write!(
                body,
                "<w:p><w:pPr><w:jc w:val=\"right\"/></w:pPr>{}</w:p>",
                run(line, "")
            );
        } else if i == heading {
            // The salutation: flush left.
            let _ = write!(body, "<w:p>{}</w:p>", run(line, ""));
        } else if line.is_empty() {
            body.push_str("<w:p/>");
        } else {
            paragraph(&mut body, "BodyText", line);
        }
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:document xmlns:w=\"{W}\"><w:body>{body}{}</w:body></w:document>",
        Orientation::Portrait.section_properties()
    );
    let parts = [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", PACKAGE_RELS.to_string()),
        ("docProps/core.xml", core_properties(title, agency)),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
        ("word/styles.xml", styles()),
        ("word/document.xml", document),
    ];
    package(&parts).expect("writing a zip to memory does not fail")
}

#[cfg(test)]
mod letter_tests {
    use std::io::Read;

    #[test]
    fn a_letter_is_a_word_package_with_its_title_centred_and_its_closing_right() {
        let text = "某区人民政府\n政府信息公开申请答复书\n安府信公〔2026〕86号\n李强：\n本机关于……<收到>\n某区人民政府\n2026年7月1日";
        let bytes = super::letter_to_docx("政府信息公开申请答复书", text, "某区人民政府");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut document = String::new();
        zip.by_name("word/document.xml")
            .unwrap()
            .read_to_string(&mut document)
            .unwrap();
        assert!(document.contains(
            "<w:pStyle w:val=\"Title\"/></w:pPr><w:r><w:t xml:space=\"preserve\">政府信息公开申请答复书"
        ));
        assert!(
            document.contains("本机关于……&lt;收到&gt;"),
            "text is escaped"
        );
        assert_eq!(document.matches("<w:jc w:val=\"right\"/>").count(), 2);
        assert_eq!(
            document.matches("<w:jc w:val=\"center\"/>").count(),
            2,
            "agency and number"
        );
        assert!(zip.by_name("word/styles.xml").is_ok());
    }
}
