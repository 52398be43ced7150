//! The .docx and .xlsx read back: cell by cell against the report's figures and, merged cells
//! included, against the HTML page's tables (which `tests.rs` holds to the published report).

use std::io::{Cursor, Read};

use calamine::{Data, Dimensions, Reader, Xlsx, open_workbook_from_rs};
use quick_xml::XmlVersion;
use quick_xml::escape::unescape;
use quick_xml::events::{BytesStart, Event};
use rust_decimal::Decimal;

use super::render::esc;
use super::xlsx::{Body, TABLE_TOP, TEXT_SHEET, sections};
use super::*;
use crate::records::parse_jsonl;

const HEADINGS: [&str; 6] = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
];
const SHEETS: [&str; 4] = [TEXT_SHEET, "二、主动公开", "三、依申请公开", "四、复议诉讼"];
const HTML_TABLES: [&str; 3] = ["t2", "t3", "t4"];

fn read_fixture(name: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(dir.join("../../examples/anju-2024").join(name)).unwrap()
}

/// The Anju 2024 report counted from the fixture's 168 cases, with table 二 as entered.
fn anju() -> AnnualReport {
    let parsed = parse_jsonl(&read_fixture("cases.jsonl"));
    let cases: Vec<ReportCase> = parsed.records.iter().map(|(_, r)| r.into()).collect();
    let entry: ActiveDisclosureEntry =
        serde_json::from_str(&read_fixture("active-disclosure.json")).unwrap();
    let tally = Tally::from_cases(2024, &cases);
    AnnualReport::from_tally(
        "遂宁市安居区人民政府",
        2024,
        &tally,
        Some(entry.figures),
        None,
    )
    .unwrap()
}

fn narrative(report: &AnnualReport) -> Narrative {
    Narrative {
        section_one: format!(
            "（二）依申请公开\n\n  {}\n",
            draft_section_one_applications(report)
        ),
        section_five: "一是重视力度不够。\n二是公开内容有待完善。".into(),
        section_six: section_six_fees(0, Decimal::ZERO),
    }
}

/// A cell as laid out: its text (HTML-escaped, to compare with the page), rows and columns.
type Laid = (String, usize, usize);

/// The cells of the page's table of `class`, in order, with their spans.
fn html_table(html: &str, class: &str) -> Vec<Laid> {
    let start = html.find(&format!("<table class=\"{class}\">")).unwrap();
    let end = start + html[start..].find("</table>").unwrap();
    html[start..end]
        .split("<td")
        .skip(1)
        .map(|td| {
            let (attributes, rest) = td.split_once('>').unwrap();
            let span = |name: &str| {
                attributes
                    .split_once(&format!("{name}=\""))
                    .map_or(1, |(_, v)| v[..v.find('"').unwrap()].parse().unwrap())
            };
            let text = rest[..rest.find("</td>").unwrap()].to_string();
            (text, span("rowspan"), span("colspan"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The shared layout

#[test]
fn the_tables_cover_their_grids_once() {
    let report = anju();
    let narrative = narrative(&report);
    let sections = sections(&report, &narrative);
    let headings: Vec<&str> = sections.iter().map(|s| s.heading).collect();
    assert_eq!(headings, HEADINGS);
    let shapes: Vec<(usize, usize)> = sections
        .iter()
        .filter_map(|s| match &s.body {
            Body::Table(grid) => {
                let columns = grid.widths.len();
                let mut covered = vec![vec![0; columns]; grid.rows];
                for cell in &grid.cells {
                    for line in &mut covered[cell.row..cell.row + cell.rows] {
                        line[cell.col..cell.col + cell.cols]
                            .iter_mut()
                            .for_each(|n| *n += 1);
                    }
                }
                assert!(covered.iter().flatten().all(|n| *n == 1), "{}", grid.sheet);
                Some((grid.rows, columns))
            }
            Body::Text(_) => None,
        })
        .collect();
    // 二: four blocks of heading, header and rows; 三: 3 header rows, 2, 21 outcomes, 总计,
    // 结转; 四: 3 header rows and the figures.
    assert_eq!(shapes, [(14, 4), (28, 10), (4, 15)]);
}

// ---------------------------------------------------------------------------------------------
// .xlsx

fn workbook(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).unwrap()
}

fn text_of(data: Option<&Data>) -> String {
    match data {
        Some(Data::Float(value)) => value.to_string(),
        Some(Data::Int(value)) => value.to_string(),
        Some(Data::String(text)) => text.clone(),
        _ => String::new(),
    }
}

/// A sheet's table, from [`TABLE_TOP`] down, as laid out: the cells that are not covered by a
/// merged range begun elsewhere, row by row, with the range they begin.
fn sheet_table(book: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str) -> Vec<Laid> {
    let range = book.worksheet_range(sheet).unwrap();
    let merged = book.merge_cells_by_sheet_name(sheet).unwrap();
    let (last_row, last_col) = range.end().unwrap();
    let mut out = Vec::new();
    for row in TABLE_TOP..=last_row {
        for col in 0..=last_col {
            let inside = |m: &&Dimensions| {
                (m.start.0..=m.end.0).contains(&row) && (m.start.1..=m.end.1).contains(&col)
            };
            let (rows, cols) = match merged.iter().find(inside) {
                Some(m) if m.start != (row, col) => continue,
                Some(m) => (m.end.0 - m.start.0 + 1, m.end.1 - m.start.1 + 1),
                None => (1, 1),
            };
            let text = esc(&text_of(range.get_value((row, col))));
            out.push((text, rows as usize, cols as usize));
        }
    }
    out
}

#[test]
fn xlsx_sheets_are_the_html_tables() {
    let report = anju();
    let narrative = narrative(&report);
    let html = to_html(&report, &narrative);
    let mut book = workbook(to_xlsx(&report, &narrative).unwrap());
    assert_eq!(book.sheet_names(), SHEETS);
    for (sheet, class) in SHEETS[1..].iter().zip(HTML_TABLES) {
        assert_eq!(
            sheet_table(&mut book, sheet),
            html_table(&html, class),
            "{sheet}"
        );
        let range = book.worksheet_range(sheet).unwrap();
        assert_eq!(
            text_of(range.get_value((0, 0))),
            "遂宁市安居区人民政府2024年政府信息公开工作年度报告"
        );
    }
    let headings: Vec<String> = SHEETS[1..]
        .iter()
        .map(|sheet| text_of(book.worksheet_range(sheet).unwrap().get_value((1, 0))))
        .collect();
    assert_eq!(headings, HEADINGS[1..4]);
}

#[test]
fn xlsx_figures_are_numbers_in_their_cells() {
    let report = anju();
    let mut book = workbook(to_xlsx(&report, &narrative(&report)).unwrap());
    let number = |value: Cell| Data::Float(value.unwrap() as f64);

    // Table 三: every figure, under three header rows, seven columns after three of labels.
    let three = book.worksheet_range(SHEETS[2]).unwrap();
    let at = |row: u32, col: u32| three.get_value((TABLE_TOP + row, col)).cloned();
    for (i, key) in RowKey::all().enumerate() {
        for column in 0..COLUMN_COUNT {
            let cell = at(3 + i as u32, 3 + column as u32);
            assert_eq!(
                cell,
                Some(number(report.cell(key, column))),
                "{key:?} {column}"
            );
        }
    }
    let disclosed = RowKey::Outcome(crate::codes::OutcomeCode::Disclosed);
    assert_eq!(at(5, 1), Some(Data::String("（一）予以公开".into())));
    assert_eq!(at(5, 3), Some(Data::Float(79.0)));
    assert_eq!(at(5, 3), Some(number(report.cell(disclosed, 0))));
    assert_eq!(at(5, 9), Some(number(report.cell(disclosed, TOTAL_COLUMN))));
    assert_eq!(at(0, 0), Some(Data::String(BALANCE_NOTE.into())));

    // Table 四: fifteen figures.
    let four = book.worksheet_range(SHEETS[3]).unwrap();
    let figures: Vec<Option<Data>> = (0..15)
        .map(|col| four.get_value((TABLE_TOP + 3, col)).cloned())
        .collect();
    let expected: Vec<Option<Data>> = crate::codes::ReviewKind::ALL
        .iter()
        .flat_map(|kind| report.reviews_and_litigation.get(*kind).cells())
        .map(|cell| Some(number(cell)))
        .collect();
    assert_eq!(figures, expected);
    assert_eq!(
        figures[..5],
        [8.0, 1.0, 1.0, 0.0, 10.0].map(|v| Some(Data::Float(v)))
    );

    // Table 二: the fees in 万元 with their decimals.
    let two = book.worksheet_range(SHEETS[1]).unwrap();
    assert_eq!(
        two.get_value((TABLE_TOP + 13, 1)),
        Some(&Data::Float(6532.96))
    );
    assert_eq!(
        text_of(two.get_value((TABLE_TOP + 13, 0))),
        "行政事业性收费"
    );

    // The merged header cells.
    let mut merged = |sheet: &str| book.merge_cells_by_sheet_name(sheet).unwrap();
    let range = |from: (u32, u32), to: (u32, u32)| Dimensions {
        start: (TABLE_TOP + from.0, from.1),
        end: (TABLE_TOP + to.0, to.1),
    };
    let three_merged = merged(SHEETS[2]);
    for expected in [
        range((0, 0), (2, 2)),  // the note
        range((0, 3), (0, 9)),  // 申请人情况
        range((1, 3), (2, 3)),  // 自然人
        range((1, 4), (1, 8)),  // 法人或其他组织
        range((5, 0), (26, 0)), // 三、本年度办理结果
        range((7, 1), (14, 1)), // （三）不予公开
    ] {
        assert!(three_merged.contains(&expected), "{expected:?}");
    }
    let four_merged = merged(SHEETS[3]);
    assert!(four_merged.contains(&range((0, 5), (0, 14)))); // 行政诉讼
    assert!(four_merged.contains(&range((1, 0), (2, 0)))); // 结果维持
}

#[test]
fn xlsx_narrative_sheet_has_the_sections_in_order() {
    let report = anju();
    let narrative = narrative(&report);
    let mut book = workbook(to_xlsx(&report, &narrative).unwrap());
    let text = book.worksheet_range(TEXT_SHEET).unwrap();
    let lines: Vec<String> = text.rows().map(|row| text_of(row.first())).collect();
    let headings: Vec<&String> = lines
        .iter()
        .filter(|line| HEADINGS.contains(&line.as_str()))
        .collect();
    assert_eq!(headings, HEADINGS);
    let drafted = draft_section_one_applications(&report);
    for line in [
        "（二）依申请公开",
        drafted.as_str(),
        "二是公开内容有待完善。",
        "本年度未收取信息处理费。",
        "见工作表「三、依申请公开」。",
    ] {
        assert!(lines.iter().any(|l| l == line), "{line}");
    }
}

// ---------------------------------------------------------------------------------------------
// .docx

/// A table cell of the document: its text, the columns it spans and its vertical merge
/// (`Some(true)` where it begins, `Some(false)` where it continues).
#[derive(Debug, Default)]
struct Tc {
    text: String,
    span: usize,
    merge: Option<bool>,
}

/// What the document holds: paragraphs outside tables (style, text) and tables (rows of cells).
#[derive(Debug, Default)]
struct Document {
    paragraphs: Vec<(String, String)>,
    tables: Vec<Vec<Vec<Tc>>>,
}

impl Document {
    /// The texts of the paragraphs of `style`, in order.
    fn styled(&self, style: &str) -> Vec<&str> {
        self.paragraphs
            .iter()
            .filter(|(s, _)| s == style)
            .map(|(_, text)| text.as_str())
            .collect()
    }
}

fn attribute(element: &BytesStart, name: &str) -> Option<String> {
    element.try_get_attribute(name).unwrap().map(|a| {
        a.normalized_value(XmlVersion::Implicit1_0)
            .unwrap()
            .into_owned()
    })
}

/// Parse `word/document.xml`; a malformed document fails here.
fn parse_document(xml: &str) -> Document {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut doc = Document::default();
    let (mut in_table, mut in_text) = (0, false);
    let mut paragraph = (String::new(), String::new());
    loop {
        let event = reader.read_event().unwrap();
        let text = match &event {
            Event::Start(e) | Event::Empty(e) => {
                match e.name().as_ref() {
                    "w:tbl" => {
                        in_table += 1;
                        doc.tables.push(Vec::new());
                    }
                    "w:tr" => doc.tables.last_mut().unwrap().push(Vec::new()),
                    "w:tc" => {
                        let row = doc.tables.last_mut().unwrap().last_mut().unwrap();
                        row.push(Tc {
                            span: 1,
                            ..Tc::default()
                        });
                    }
                    "w:gridSpan" | "w:vMerge" => {
                        let tc = doc.tables.last_mut().unwrap().last_mut().unwrap();
                        let tc = tc.last_mut().unwrap();
                        let value = attribute(e, "w:val");
                        if e.name().as_ref() == "w:gridSpan" {
                            tc.span = value.unwrap().parse().unwrap();
                        } else {
                            tc.merge = Some(value.as_deref() == Some("restart"));
                        }
                    }
                    "w:p" => paragraph = (String::new(), String::new()),
                    "w:pStyle" => paragraph.0 = attribute(e, "w:val").unwrap(),
                    "w:t" => in_text = matches!(event, Event::Start(_)),
                    _ => {}
                }
                String::new()
            }
            Event::End(e) => {
                match e.name().as_ref() {
                    "w:tbl" => in_table -= 1,
                    "w:t" => in_text = false,
                    "w:p" if in_table == 0 => doc.paragraphs.push(paragraph.clone()),
                    _ => {}
                }
                String::new()
            }
            Event::Text(t) if in_text => t.xml10_content().into_owned(),
            Event::GeneralRef(r) if in_text => unescape(&format!("&{};", r.xml10_content()))
                .unwrap()
                .into_owned(),
            Event::Eof => break,
            _ => String::new(),
        };
        paragraph.1.push_str(&text);
        if in_table > 0
            && let Some(tc) = doc
                .tables
                .last_mut()
                .and_then(|t| t.last_mut())
                .and_then(|r| r.last_mut())
        {
            tc.text.push_str(&text);
        }
    }
    doc
}

/// A document table as laid out: each cell that is not a continued vertical merge, with the
/// rows its merge runs down.
fn docx_table(rows: &[Vec<Tc>]) -> Vec<Laid> {
    let placed: Vec<Vec<(usize, &Tc)>> = rows
        .iter()
        .map(|row| {
            let mut col = 0;
            row.iter()
                .map(|tc| {
                    col += tc.span;
                    (col - tc.span, tc)
                })
                .collect()
        })
        .collect();
    let width: usize = rows[0].iter().map(|tc| tc.span).sum();
    let mut out = Vec::new();
    for (r, row) in placed.iter().enumerate() {
        assert_eq!(row.iter().map(|(_, tc)| tc.span).sum::<usize>(), width);
        for (col, tc) in row {
            if tc.merge == Some(false) {
                assert!(tc.text.is_empty());
                continue;
            }
            let continued = |next: &&Vec<(usize, &Tc)>| {
                next.iter().any(|(c, t)| c == col && t.merge == Some(false))
            };
            let rows_down = match tc.merge {
                Some(true) => 1 + placed[r + 1..].iter().take_while(continued).count(),
                _ => 1,
            };
            out.push((esc(&tc.text), rows_down, tc.span));
        }
    }
    out
}

/// The package's parts by name, each checked deflated and, XML, well-formed.
fn unzip(bytes: Vec<u8>) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut parts = Vec::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        assert_eq!(file.compression(), zip::CompressionMethod::Deflated);
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        let mut reader = quick_xml::Reader::from_str(&text);
        while reader.read_event().unwrap() != Event::Eof {}
        parts.push((file.name().unwrap().to_string(), text));
    }
    parts
}

fn part<'a>(parts: &'a [(String, String)], name: &str) -> &'a str {
    &parts.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn docx_is_a_package_with_the_html_tables() {
    let report = anju();
    let narrative = narrative(&report);
    let html = to_html(&report, &narrative);
    let parts = unzip(to_docx(&report, &narrative));
    let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
    for name in [
        "[Content_Types].xml",
        "_rels/.rels",
        "word/_rels/document.xml.rels",
        "word/document.xml",
        "word/styles.xml",
        "docProps/core.xml",
    ] {
        assert!(names.contains(&name), "{name}");
    }
    assert!(part(&parts, "word/styles.xml").contains("w:eastAsia=\"宋体\""));

    let xml = part(&parts, "word/document.xml");
    let doc = parse_document(xml);
    assert_eq!(
        doc.paragraphs[0],
        (
            "Title".to_string(),
            "遂宁市安居区人民政府2024年政府信息公开工作年度报告".to_string()
        )
    );
    assert_eq!(doc.styled("Heading1"), HEADINGS);
    let drafted = draft_section_one_applications(&report);
    assert_eq!(
        doc.styled("BodyText"),
        [
            "（二）依申请公开",
            drafted.as_str(),
            "一是重视力度不够。",
            "二是公开内容有待完善。",
            "本年度未收取信息处理费。",
        ]
    );

    assert_eq!(doc.tables.len(), 3);
    for (table, class) in doc.tables.iter().zip(HTML_TABLES) {
        assert_eq!(docx_table(table), html_table(&html, class), "{class}");
    }

    // Table 三's figures row by row, under its three header rows, and its merged headers.
    let three = &doc.tables[1];
    for (i, key) in RowKey::all().enumerate() {
        let row = &three[3 + i];
        let figures: Vec<&str> = row[row.len() - COLUMN_COUNT..]
            .iter()
            .map(|tc| tc.text.as_str())
            .collect();
        let expected: Vec<String> = (0..COLUMN_COUNT)
            .map(|c| report.cell(key, c).unwrap().to_string())
            .collect();
        assert_eq!(figures, expected, "{key:?}");
    }
    let (note, applicants) = (&three[0][0], &three[0][1]);
    assert_eq!(
        (note.text.as_str(), note.span, note.merge),
        (BALANCE_NOTE, 3, Some(true))
    );
    assert_eq!(
        (applicants.text.as_str(), applicants.span),
        ("申请人情况", 7)
    );
    assert_eq!((three[1][0].span, three[1][0].merge), (3, Some(false)));
    assert_eq!(three[1][1].merge, Some(true)); // 自然人 over two rows
    let four = &doc.tables[2];
    let litigation: Vec<&str> = four[3].iter().map(|tc| tc.text.as_str()).collect();
    assert_eq!(litigation[5..10], ["5", "0", "2", "0", "7"]);

    // A4 throughout; tables 三 and 四 on a landscape section between two portrait ones.
    let landscape = xml.find("w:orient=\"landscape\"").unwrap();
    assert_eq!(xml.matches("w:orient=\"landscape\"").count(), 1);
    assert_eq!(xml.matches("<w:sectPr>").count(), 3);
    assert_eq!(
        xml.matches("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>").count(),
        2
    );
    let position = |text: &str| xml.find(text).unwrap();
    assert!(position(HEADINGS[3]) < landscape && landscape < position(HEADINGS[4]));
    let first_break = position("<w:sectPr>");
    assert!(position(HEADINGS[1]) < first_break && first_break < position(HEADINGS[2]));
}

// ---------------------------------------------------------------------------------------------
// Blanks and text typed in

#[test]
fn blanks_print_as_dashes_and_text_is_escaped() {
    let mut report = anju();
    report.agency = "某局<办公室>&".into();
    report.active_disclosure = None;
    report.applications.rows.new[0] = None;
    let narrative = Narrative {
        section_one: "甲 & 乙\u{1} <丙>".into(),
        ..Narrative::default()
    };

    let mut book = workbook(to_xlsx(&report, &narrative).unwrap());
    let three = book.worksheet_range(SHEETS[2]).unwrap();
    assert_eq!(
        three.get_value((TABLE_TOP + 3, 3)),
        Some(&Data::String("—".into()))
    );
    let two = book.worksheet_range(SHEETS[1]).unwrap();
    assert_eq!(
        two.get_value((TABLE_TOP + 2, 1)),
        Some(&Data::String("—".into()))
    );
    assert_eq!(
        text_of(two.get_value((0, 0))),
        "某局<办公室>&2024年政府信息公开工作年度报告"
    );

    let parts = unzip(to_docx(&report, &narrative));
    let doc = parse_document(part(&parts, "word/document.xml"));
    assert_eq!(
        doc.paragraphs[0].1,
        "某局<办公室>&2024年政府信息公开工作年度报告"
    );
    assert!(
        doc.paragraphs
            .iter()
            .any(|(_, text)| text == "甲 & 乙 <丙>")
    );
    assert_eq!(doc.tables[1][3][1].text, "—");
    assert!(doc.tables[0].iter().flatten().any(|tc| tc.text == "—"));
}

/// Writes the Anju 2024 documents to `$OGI_OFFICE_OUT` (default: the temporary directory)
/// to look at: `cargo test -p ogi-core write_the_anju_documents -- --ignored`.
#[test]
#[ignore]
fn write_the_anju_documents() {
    let report = anju();
    let narrative = narrative(&report);
    let dir = std::env::var_os("OGI_OFFICE_OUT").map_or_else(std::env::temp_dir, Into::into);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("anju-2024.docx"), to_docx(&report, &narrative)).unwrap();
    std::fs::write(
        dir.join("anju-2024.xlsx"),
        to_xlsx(&report, &narrative).unwrap(),
    )
    .unwrap();
}

#[test]
fn a_narrative_longer_than_an_excel_cell_still_makes_a_workbook() {
    // Finding 4: a 32,768-character narrative made the writer panic (Excel's cell limit).
    let report = anju();
    let long = Narrative {
        section_one: "一".repeat(40_000),
        section_five: format!("{}\n{}", "五".repeat(70_000), "b".repeat(33_000)),
        section_six: String::new(),
    };
    let mut book = workbook(to_xlsx(&report, &long).unwrap());
    let sheet = book.worksheet_range(TEXT_SHEET).unwrap();
    let texts: Vec<String> = sheet
        .rows()
        .filter_map(|r| r.first().map(|c| c.to_string()))
        .collect();
    assert!(texts.iter().all(|t| t.chars().count() <= 32_767));
    let one: usize = texts
        .iter()
        .map(|t| t.strip_prefix("（续）").unwrap_or(t))
        .filter(|t| !t.is_empty() && t.chars().all(|c| c == '一'))
        .map(|t| t.chars().count())
        .sum();
    assert_eq!(one, 40_000, "nothing of the narrative is lost");
    assert!(texts.iter().any(|t| t.starts_with("（续）")));
}
