//! The report as documents: Markdown, and a complete HTML page as government portals publish
//! it, with the tables laid out as the 2021 format prints them (merged header cells included).

use std::fmt::Write as _;

use super::{
    ActiveDisclosure, AnnualReport, BALANCE_NOTE, COLUMN_COUNT, Cell, Narrative, Row, RowKey,
    column_label,
};
use crate::codes::{ApplicantType, OutcomeCode, ReviewKind, ReviewResult};

pub(super) const ORGANISATIONS: &str = "法人或其他组织";

pub(super) fn figure(cell: Cell) -> String {
    cell.map_or_else(|| "—".to_string(), |v| v.to_string())
}

fn money(value: Option<rust_decimal::Decimal>) -> String {
    value.map_or_else(|| "—".to_string(), |v| v.to_string())
}

pub(super) fn title(report: &AnnualReport) -> String {
    format!("{}{}年政府信息公开工作年度报告", report.agency, report.year)
}

/// The rows of 三、本年度办理结果 grouped as the format prints them: (group label, outcomes).
pub(super) fn outcome_groups() -> Vec<(&'static str, Vec<OutcomeCode>)> {
    let mut groups: Vec<(&'static str, Vec<OutcomeCode>)> = Vec::new();
    for code in OutcomeCode::ALL {
        match groups.last_mut() {
            Some((group, codes)) if *group == code.group_label() => codes.push(*code),
            _ => groups.push((code.group_label(), vec![*code])),
        }
    }
    groups
}

/// A group printed as one row (`（一）予以公开`) rather than a header over numbered rows.
pub(super) fn is_single_row(codes: &[OutcomeCode]) -> bool {
    codes.len() == 1
}

/// Table 二's blocks: (heading, column headers, rows of (label, figures)).
pub(super) type Block = (
    &'static str,
    Vec<&'static str>,
    Vec<(&'static str, Vec<String>)>,
);

pub(super) fn active_blocks(active: Option<&ActiveDisclosure>) -> Vec<Block> {
    let blank = ActiveDisclosure::default();
    let a = active.unwrap_or(&blank);
    let docs =
        |d: &super::DocumentCounts| vec![figure(d.issued), figure(d.repealed), figure(d.in_force)];
    vec![
        (
            "第二十条第（一）项",
            vec!["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
            vec![
                ("规章", docs(&a.rules)),
                ("行政规范性文件", docs(&a.normative_documents)),
            ],
        ),
        (
            "第二十条第（五）项",
            vec!["信息内容", "本年处理决定数量"],
            vec![("行政许可", vec![figure(a.licensing_decisions)])],
        ),
        (
            "第二十条第（六）项",
            vec!["信息内容", "本年处理决定数量"],
            vec![
                ("行政处罚", vec![figure(a.penalty_decisions)]),
                ("行政强制", vec![figure(a.enforcement_decisions)]),
            ],
        ),
        (
            "第二十条第（八）项",
            vec!["信息内容", "本年收费金额（单位：万元）"],
            vec![("行政事业性收费", vec![money(a.fees_10k_yuan)])],
        ),
    ]
}

pub(super) fn review_kinds() -> [ReviewKind; 3] {
    [
        ReviewKind::Review,
        ReviewKind::LitigationDirect,
        ReviewKind::LitigationAfterReview,
    ]
}

// ---------------------------------------------------------------------------------------------
// Markdown

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|")
}

fn md_row(cells: &[String]) -> String {
    let mut line = String::from("|");
    for cell in cells {
        let _ = write!(line, " {} |", md_escape(cell));
    }
    line.push('\n');
    line
}

fn md_separator(count: usize) -> String {
    let mut line = String::from("|");
    for _ in 0..count {
        line.push_str(" --- |");
    }
    line.push('\n');
    line
}

fn paragraphs_md(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str(line);
        out.push_str("\n\n");
    }
    out
}

/// The report as Markdown, tables in the format's order and labels (merged header cells are
/// spread over the cells they cover; the first cell carries the label).
pub fn to_markdown(report: &AnnualReport, narrative: &Narrative) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", title(report));

    md.push_str("## 一、总体情况\n\n");
    md.push_str(&paragraphs_md(&narrative.section_one));

    md.push_str("## 二、主动公开政府信息情况\n\n");
    for (heading, headers, rows) in active_blocks(report.active_disclosure.as_ref()) {
        let width = headers.len();
        let mut head = vec![heading.to_string()];
        head.extend(headers[1..].iter().map(|h| h.to_string()));
        md.push_str(&md_row(&head));
        md.push_str(&md_separator(width));
        for (label, cells) in rows {
            let mut line = vec![label.to_string()];
            line.extend(cells);
            md.push_str(&md_row(&line));
        }
        md.push('\n');
    }

    md.push_str("## 三、收到和处理政府信息公开申请情况\n\n");
    let _ = writeln!(md, "{BALANCE_NOTE}\n");
    let width = 1 + COLUMN_COUNT;
    let mut head = vec!["申请人情况".to_string(), "自然人".to_string()];
    head.push(ORGANISATIONS.to_string());
    head.extend((0..4).map(|_| String::new()));
    head.push(column_label(super::TOTAL_COLUMN).to_string());
    md.push_str(&md_row(&head));
    md.push_str(&md_separator(width));
    let mut sub = vec![String::new(), String::new()];
    sub.extend(
        ApplicantType::ALL
            .iter()
            .filter(|t| t.is_organisation())
            .map(|t| t.column_label().to_string()),
    );
    sub.push(String::new());
    md.push_str(&md_row(&sub));
    let rows = &report.applications.rows;
    let line = |label: &str, row: &Row| {
        let mut cells = vec![label.to_string()];
        cells.extend(row.iter().map(|c| figure(*c)));
        md_row(&cells)
    };
    let blank_line = |label: &str| {
        let mut cells = vec![label.to_string()];
        cells.extend((0..COLUMN_COUNT).map(|_| String::new()));
        md_row(&cells)
    };
    md.push_str(&line(RowKey::New.label(), &rows.new));
    md.push_str(&line(RowKey::CarriedOver.label(), &rows.carried_over));
    md.push_str(&blank_line("三、本年度办理结果"));
    for (group, codes) in outcome_groups() {
        if is_single_row(&codes) {
            md.push_str(&line(
                codes[0].row_label(),
                rows.get(RowKey::Outcome(codes[0])),
            ));
        } else {
            md.push_str(&blank_line(group));
            for code in codes {
                md.push_str(&line(code.row_label(), rows.get(RowKey::Outcome(code))));
            }
        }
    }
    md.push_str(&line(RowKey::TotalProcessed.label(), &rows.total_processed));
    md.push_str(&line(RowKey::CarriedForward.label(), &rows.carried_forward));
    md.push('\n');

    md.push_str("## 四、政府信息公开行政复议、行政诉讼情况\n\n");
    let mut top = vec!["行政复议".to_string()];
    top.extend((0..4).map(|_| String::new()));
    top.push("行政诉讼".to_string());
    top.extend((0..9).map(|_| String::new()));
    md.push_str(&md_row(&top));
    md.push_str(&md_separator(15));
    let mut middle: Vec<String> = (0..5).map(|_| String::new()).collect();
    for kind in &review_kinds()[1..] {
        middle.push(kind.label().to_string());
        middle.extend((0..4).map(|_| String::new()));
    }
    md.push_str(&md_row(&middle));
    let results: Vec<String> = ReviewResult::ALL
        .iter()
        .map(|r| r.column_label().to_string())
        .chain(["总计".to_string()])
        .collect();
    md.push_str(&md_row(
        &[results.clone(), results.clone(), results].concat(),
    ));
    let figures: Vec<String> = review_kinds()
        .iter()
        .flat_map(|k| report.reviews_and_litigation.get(*k).cells())
        .map(figure)
        .collect();
    md.push_str(&md_row(&figures));
    md.push('\n');

    md.push_str("## 五、存在的主要问题及改进情况\n\n");
    md.push_str(&paragraphs_md(&narrative.section_five));
    md.push_str("## 六、其他需要报告的事项\n\n");
    md.push_str(&paragraphs_md(&narrative.section_six));
    while md.ends_with("\n\n") {
        md.pop();
    }
    md
}

// ---------------------------------------------------------------------------------------------
// HTML

pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn td(out: &mut String, text: &str, attrs: &str) {
    let _ = write!(out, "<td{attrs}>{}</td>", esc(text));
}

fn paragraphs_html(out: &mut String, text: &str) {
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let _ = writeln!(out, "<p>{}</p>", esc(line));
    }
}

const STYLE: &str = "\
body{margin:0;background:#f2f2f2;font-family:\"Microsoft YaHei\",\"PingFang SC\",\"Noto Sans CJK SC\",SimSun,sans-serif;color:#333;}
.page{max-width:1000px;margin:0 auto;background:#fff;padding:24px 40px 48px;}
.site{border-bottom:3px solid #b40000;color:#b40000;font-size:20px;font-weight:bold;padding:8px 0;margin-bottom:24px;}
h1{text-align:center;font-size:24px;color:#b40000;margin:16px 0 8px;}
.meta{text-align:center;color:#888;font-size:13px;border-bottom:1px dashed #ccc;padding-bottom:12px;margin-bottom:20px;}
h2{font-size:17px;margin:24px 0 12px;}
p{text-indent:2em;line-height:1.9;font-size:16px;margin:0 0 10px;}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:14px;}
td{border:1px solid #000;padding:4px 6px;text-align:center;vertical-align:middle;}
td.l{text-align:left;}
td.h{font-weight:bold;background:#f7f7f7;}
td.note{font-size:13px;}
";

/// The report as a complete HTML page, in the style of a government portal's publication,
/// tables laid out as the 2021 format prints them (merged cells by rowspan and colspan).
pub fn to_html(report: &AnnualReport, narrative: &Narrative) -> String {
    let mut h = String::new();
    let title = title(report);
    let _ = writeln!(h, "<!DOCTYPE html>");
    let _ = writeln!(h, "<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">");
    let _ = writeln!(
        h,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    );
    let _ = writeln!(h, "<title>{}</title>", esc(&title));
    let _ = writeln!(
        h,
        "<style>\n{STYLE}</style>\n</head>\n<body>\n<div class=\"page\">"
    );
    let _ = writeln!(h, "<div class=\"site\">政府信息公开</div>");
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(h, "<div class=\"meta\">来源：{}</div>", esc(&report.agency));

    let _ = writeln!(h, "<h2>一、总体情况</h2>");
    paragraphs_html(&mut h, &narrative.section_one);

    let _ = writeln!(h, "<h2>二、主动公开政府信息情况</h2>");
    table_two(&mut h, report);

    let _ = writeln!(h, "<h2>三、收到和处理政府信息公开申请情况</h2>");
    table_three(&mut h, report);

    let _ = writeln!(h, "<h2>四、政府信息公开行政复议、行政诉讼情况</h2>");
    table_four(&mut h, report);

    let _ = writeln!(h, "<h2>五、存在的主要问题及改进情况</h2>");
    paragraphs_html(&mut h, &narrative.section_five);
    let _ = writeln!(h, "<h2>六、其他需要报告的事项</h2>");
    paragraphs_html(&mut h, &narrative.section_six);
    let _ = writeln!(h, "</div>\n</body>\n</html>");
    h
}

fn table_two(h: &mut String, report: &AnnualReport) {
    let _ = writeln!(h, "<table class=\"t2\">");
    for (heading, headers, rows) in active_blocks(report.active_disclosure.as_ref()) {
        h.push_str("<tr>");
        td(h, heading, " colspan=\"4\" class=\"h\"");
        h.push_str("</tr>\n<tr>");
        // A block of one figure spreads it over the three figure columns.
        let span = if headers.len() == 2 {
            " colspan=\"3\""
        } else {
            ""
        };
        td(h, headers[0], " class=\"h\"");
        for header in &headers[1..] {
            td(h, header, &format!("{span} class=\"h\""));
        }
        h.push_str("</tr>\n");
        for (label, cells) in rows {
            h.push_str("<tr>");
            td(h, label, "");
            for cell in &cells {
                td(h, cell, span);
            }
            h.push_str("</tr>\n");
        }
    }
    let _ = writeln!(h, "</table>");
}

fn table_three(h: &mut String, report: &AnnualReport) {
    let rows = &report.applications.rows;
    let figures = |h: &mut String, row: &Row| {
        for cell in row {
            td(h, &figure(*cell), "");
        }
    };
    let _ = writeln!(h, "<table class=\"t3\">");
    // The header: the note over the row labels, 申请人情况 over the columns.
    h.push_str("<tr>");
    td(
        h,
        BALANCE_NOTE,
        " colspan=\"3\" rowspan=\"3\" class=\"note\"",
    );
    td(h, "申请人情况", " colspan=\"7\" class=\"h\"");
    h.push_str("</tr>\n<tr>");
    td(h, column_label(0), " rowspan=\"2\" class=\"h\"");
    td(h, ORGANISATIONS, " colspan=\"5\" class=\"h\"");
    td(
        h,
        column_label(super::TOTAL_COLUMN),
        " rowspan=\"2\" class=\"h\"",
    );
    h.push_str("</tr>\n<tr>");
    for t in ApplicantType::ALL.iter().filter(|t| t.is_organisation()) {
        td(h, t.column_label(), " class=\"h\"");
    }
    h.push_str("</tr>\n");

    for key in [RowKey::New, RowKey::CarriedOver] {
        h.push_str("<tr>");
        td(h, key.label(), " colspan=\"3\" class=\"l\"");
        figures(h, rows.get(key));
        h.push_str("</tr>\n");
    }

    // 三、本年度办理结果 spans every outcome row and （七）总计.
    let groups = outcome_groups();
    let span = OutcomeCode::ALL.len() + 1;
    let mut first = true;
    let mut open_row = |h: &mut String| {
        h.push_str("<tr>");
        if first {
            td(
                h,
                "三、本年度办理结果",
                &format!(" rowspan=\"{span}\" class=\"l\""),
            );
            first = false;
        }
    };
    for (group, codes) in &groups {
        if is_single_row(codes) {
            open_row(h);
            td(h, codes[0].row_label(), " colspan=\"2\" class=\"l\"");
            figures(h, rows.get(RowKey::Outcome(codes[0])));
            h.push_str("</tr>\n");
        } else {
            for (i, code) in codes.iter().enumerate() {
                open_row(h);
                if i == 0 {
                    td(
                        h,
                        group,
                        &format!(" rowspan=\"{}\" class=\"l\"", codes.len()),
                    );
                }
                td(h, code.row_label(), " class=\"l\"");
                figures(h, rows.get(RowKey::Outcome(*code)));
                h.push_str("</tr>\n");
            }
        }
    }
    open_row(h);
    td(
        h,
        RowKey::TotalProcessed.label(),
        " colspan=\"2\" class=\"l\"",
    );
    figures(h, &rows.total_processed);
    h.push_str("</tr>\n<tr>");
    td(
        h,
        RowKey::CarriedForward.label(),
        " colspan=\"3\" class=\"l\"",
    );
    figures(h, &rows.carried_forward);
    h.push_str("</tr>\n");
    let _ = writeln!(h, "</table>");
}

fn table_four(h: &mut String, report: &AnnualReport) {
    let _ = writeln!(h, "<table class=\"t4\">");
    h.push_str("<tr>");
    td(h, ReviewKind::Review.label(), " colspan=\"5\" class=\"h\"");
    td(h, "行政诉讼", " colspan=\"10\" class=\"h\"");
    h.push_str("</tr>\n<tr>");
    for result in ReviewResult::ALL {
        td(h, result.column_label(), " rowspan=\"2\" class=\"h\"");
    }
    td(h, "总计", " rowspan=\"2\" class=\"h\"");
    for kind in &review_kinds()[1..] {
        td(h, kind.label(), " colspan=\"5\" class=\"h\"");
    }
    h.push_str("</tr>\n<tr>");
    for _ in 0..2 {
        for result in ReviewResult::ALL {
            td(h, result.column_label(), " class=\"h\"");
        }
        td(h, "总计", " class=\"h\"");
    }
    h.push_str("</tr>\n<tr>");
    for kind in review_kinds() {
        for cell in report.reviews_and_litigation.get(kind).cells() {
            td(h, &figure(cell), "");
        }
    }
    h.push_str("</tr>\n");
    let _ = writeln!(h, "</table>");
}
