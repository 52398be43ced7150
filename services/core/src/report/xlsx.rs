//! The report as a workbook (.xlsx) for statisticians: a sheet with the narrative, then one
//! sheet a table, merged header cells as the 2021 format prints them and every figure a number.
//!
//! The tables are laid out here once, as grids of merged cells ([`Grid`], [`sections`]); the
//! Word document (`docx.rs`) draws the same grids.

use rust_xlsxwriter::{
    DocProperties, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::render::{
    ORGANISATIONS, active_blocks, figure, is_single_row, outcome_groups, review_kinds, title,
};
use super::{AnnualReport, BALANCE_NOTE, Cell, Narrative, RowKey, TOTAL_COLUMN, column_label};
use crate::codes::{ApplicantType, OutcomeCode, ReviewKind, ReviewResult};

// ---------------------------------------------------------------------------------------------
// The tables as grids, shared with the Word document

/// The East Asian font both documents name (any CJK font stands in where it is missing).
pub(super) const CJK_FONT: &str = "宋体";

/// The name of the workbook's first sheet, the narrative.
pub(super) const TEXT_SHEET: &str = "报告正文";

/// How a cell of a table reads, which decides how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A column or block header: bold, centred.
    Header,
    /// A row label: left-aligned.
    Label,
    /// A figure as printed (`—` for a blank); a number in the workbook.
    Figure,
    /// The 勾稽关系 note in table 三's corner: smaller.
    Note,
}

/// One cell of a table, spread over `rows` × `cols` grid positions from (`row`, `col`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Placed {
    pub row: usize,
    pub col: usize,
    pub rows: usize,
    pub cols: usize,
    pub text: String,
    pub role: Role,
}

/// A table of the report as the format lays it out: cells, merged ones included, that cover
/// a grid of `rows` × `widths.len()` positions once each.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Grid {
    /// The table's sheet in the workbook.
    pub sheet: &'static str,
    /// The columns' relative widths, in characters.
    pub widths: Vec<f64>,
    pub rows: usize,
    /// The header rows, repeated on each page the table runs over.
    pub header_rows: usize,
    /// Too wide for a portrait page.
    pub wide: bool,
    /// In the order of the rows, then of the columns within each.
    pub cells: Vec<Placed>,
}

impl Grid {
    /// The cells over row `row`, left to right, each with `true` where it began in a row above
    /// (a vertically merged cell continued).
    pub fn row_cells(&self, row: usize) -> Vec<(&Placed, bool)> {
        let mut cells: Vec<(&Placed, bool)> = self
            .cells
            .iter()
            .filter(|c| c.row <= row && row < c.row + c.rows)
            .map(|c| (c, c.row < row))
            .collect();
        cells.sort_by_key(|(c, _)| c.col);
        cells
    }
}

/// What a section of the report holds.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Body<'a> {
    /// Narrative, a paragraph a line.
    Text(&'a str),
    Table(Grid),
}

/// One of the six sections, under its heading.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Section<'a> {
    pub heading: &'static str,
    pub body: Body<'a>,
}

/// The six sections in the format's order, with their headings and tables.
pub(super) fn sections<'a>(report: &AnnualReport, narrative: &'a Narrative) -> Vec<Section<'a>> {
    let text = |heading, text: &'a String| Section {
        heading,
        body: Body::Text(text),
    };
    let table = |heading, grid| Section {
        heading,
        body: Body::Table(grid),
    };
    vec![
        text("一、总体情况", &narrative.section_one),
        table("二、主动公开政府信息情况", table_two(report)),
        table("三、收到和处理政府信息公开申请情况", table_three(report)),
        table("四、政府信息公开行政复议、行政诉讼情况", table_four(report)),
        text("五、存在的主要问题及改进情况", &narrative.section_five),
        text("六、其他需要报告的事项", &narrative.section_six),
    ]
}

/// The paragraphs of a narrative section: its non-blank lines, trimmed.
pub(super) fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// Lays cells out row by row as an HTML table does: each cell takes the first position of
/// the current row that no cell above reaches down into.
struct Layout {
    grid: Grid,
    taken: Vec<Vec<bool>>,
    current: usize,
    next: usize,
}

impl Layout {
    fn new(sheet: &'static str, widths: Vec<f64>, wide: bool) -> Self {
        Layout {
            grid: Grid {
                sheet,
                widths,
                rows: 0,
                header_rows: 0,
                wide,
                cells: Vec::new(),
            },
            taken: Vec::new(),
            current: 0,
            next: 0,
        }
    }

    /// Start the next row.
    fn row(&mut self) -> &mut Self {
        self.current = self.next;
        self.next += 1;
        self.reach(self.next);
        self
    }

    fn reach(&mut self, rows: usize) {
        let columns = self.grid.widths.len();
        while self.taken.len() < rows {
            self.taken.push(vec![false; columns]);
        }
        self.grid.rows = self.grid.rows.max(rows);
    }

    /// A cell over `rows` × `cols` positions.
    fn span(&mut self, text: impl Into<String>, role: Role, rows: usize, cols: usize) -> &mut Self {
        let row = self.current;
        self.reach(row + rows);
        let col = self.taken[row]
            .iter()
            .position(|taken| !taken)
            .expect("the row has room for the cell");
        for line in &mut self.taken[row..row + rows] {
            for slot in &mut line[col..col + cols] {
                assert!(!*slot, "cells overlap at column {col}");
                *slot = true;
            }
        }
        self.grid.cells.push(Placed {
            row,
            col,
            rows,
            cols,
            text: text.into(),
            role,
        });
        self
    }

    fn cell(&mut self, text: impl Into<String>, role: Role) -> &mut Self {
        self.span(text, role, 1, 1)
    }

    fn figures(&mut self, cells: impl IntoIterator<Item = Cell>) -> &mut Self {
        for value in cells {
            self.cell(figure(value), Role::Figure);
        }
        self
    }

    fn headers(&mut self, texts: impl IntoIterator<Item = &'static str>) -> &mut Self {
        for text in texts {
            self.cell(text, Role::Header);
        }
        self
    }

    fn finish(mut self, header_rows: usize) -> Grid {
        self.grid.header_rows = header_rows;
        self.grid
    }
}

/// Table 二: four blocks, each under its article; a block of one figure spreads it over the
/// three figure columns.
fn table_two(report: &AnnualReport) -> Grid {
    let mut t = Layout::new("二、主动公开", vec![10.0, 7.0, 7.0, 7.0], false);
    for (heading, headers, rows) in active_blocks(report.active_disclosure.as_ref()) {
        let span = 3 / (headers.len() - 1);
        t.row().span(heading, Role::Header, 1, 4);
        t.row().cell(headers[0], Role::Header);
        for header in &headers[1..] {
            t.span(*header, Role::Header, 1, span);
        }
        for (label, cells) in rows {
            t.row().cell(label, Role::Label);
            for text in cells {
                t.span(text, Role::Figure, 1, span);
            }
        }
    }
    t.finish(0)
}

/// Table 三: the note over the row labels, 申请人情况 over the columns; 三、本年度办理结果 runs
/// down every outcome row and （七）总计, each group of several outcomes down its own.
fn table_three(report: &AnnualReport) -> Grid {
    // Four characters a figure column: 社会公益组织 and 法律服务机构 break in the middle.
    let mut widths = vec![2.5, 6.5, 21.0];
    widths.extend([4.0; 7]);
    let mut t = Layout::new("三、依申请公开", widths, true);
    t.row()
        .span(BALANCE_NOTE, Role::Note, 3, 3)
        .span("申请人情况", Role::Header, 1, 7);
    t.row()
        .span(column_label(0), Role::Header, 2, 1)
        .span(ORGANISATIONS, Role::Header, 1, 5)
        .span(column_label(TOTAL_COLUMN), Role::Header, 2, 1);
    t.row().headers(
        ApplicantType::ALL
            .iter()
            .filter(|a| a.is_organisation())
            .map(|a| a.column_label()),
    );

    let rows = &report.applications.rows;
    for key in [RowKey::New, RowKey::CarriedOver] {
        t.row()
            .span(key.label(), Role::Label, 1, 3)
            .figures(*rows.get(key));
    }
    let lines = outcome_lines();
    for (i, line) in lines.iter().enumerate() {
        t.row();
        if i == 0 {
            t.span("三、本年度办理结果", Role::Label, lines.len(), 1);
        }
        if let Some((group, count)) = line.group {
            t.span(group, Role::Label, count, 1);
        }
        t.span(line.label, Role::Label, 1, line.cols)
            .figures(*rows.get(line.key));
    }
    t.row()
        .span(RowKey::CarriedForward.label(), Role::Label, 1, 3)
        .figures(rows.carried_forward);
    t.finish(3)
}

/// A row under 三、本年度办理结果.
struct OutcomeLine {
    /// The group cell that begins in this row: its label and the rows it runs down.
    group: Option<(&'static str, usize)>,
    label: &'static str,
    /// The columns the label takes: two for a group printed as one row.
    cols: usize,
    key: RowKey,
}

/// The rows under 三、本年度办理结果: the outcomes, then （七）总计.
fn outcome_lines() -> Vec<OutcomeLine> {
    let mut lines = Vec::new();
    for (group, codes) in outcome_groups() {
        let single = is_single_row(&codes);
        for (i, code) in codes.iter().enumerate() {
            lines.push(OutcomeLine {
                group: (!single && i == 0).then_some((group, codes.len())),
                label: code.row_label(),
                cols: if single { 2 } else { 1 },
                key: RowKey::Outcome(*code),
            });
        }
    }
    lines.push(OutcomeLine {
        group: None,
        label: RowKey::TotalProcessed.label(),
        cols: 2,
        key: RowKey::TotalProcessed,
    });
    debug_assert_eq!(lines.len(), OutcomeCode::ALL.len() + 1);
    lines
}

/// Table 四: 行政复议 and 行政诉讼 over their five results each, 行政诉讼 split in two.
fn table_four(report: &AnnualReport) -> Grid {
    let results = || {
        ReviewResult::ALL
            .iter()
            .map(|r| r.column_label())
            .chain(["总计"])
    };
    let mut t = Layout::new("四、复议诉讼", vec![4.0; 15], true);
    t.row()
        .span(ReviewKind::Review.label(), Role::Header, 1, 5)
        .span("行政诉讼", Role::Header, 1, 10);
    t.row();
    for result in results() {
        t.span(result, Role::Header, 2, 1);
    }
    for kind in &review_kinds()[1..] {
        t.span(kind.label(), Role::Header, 1, 5);
    }
    t.row().headers(results()).headers(results());
    t.row();
    for kind in review_kinds() {
        t.figures(report.reviews_and_litigation.get(kind).cells());
    }
    t.finish(3)
}

// ---------------------------------------------------------------------------------------------
// The workbook

/// The first row of a table on its sheet, under the report's title and the section heading.
pub(super) const TABLE_TOP: u32 = 2;

/// The report as an .xlsx workbook: 报告正文 (the narrative, with the sections' headings), then
/// one sheet for each of tables 二, 三 and 四 under the report's title and the section heading,
/// header cells merged as the format prints them, figures as numbers and blanks as 「—」.
///
/// A paragraph longer than an Excel cell holds (32,767 characters) goes on in the rows below,
/// each continuation marked 「（续）」, so any narrative makes a workbook; a failure of the
/// writer is an error in Chinese, never a panic.
pub fn to_xlsx(report: &AnnualReport, narrative: &Narrative) -> Result<Vec<u8>, String> {
    workbook(report, narrative).map_err(|e| format!("无法生成 .xlsx 文件：{e}"))
}

/// The most characters ogi puts in one cell: below Excel's 32,767, with room for the mark.
const CELL_CHARS: usize = 30_000;

/// Excel's tallest row, in points.
const MAX_ROW_HEIGHT: f64 = 409.0;

/// A paragraph as cells of at most [`CELL_CHARS`] characters; every piece after the first
/// starts with 「（续）」.
fn cell_pieces(paragraph: &str) -> Vec<String> {
    let chars: Vec<char> = paragraph.chars().collect();
    chars
        .chunks(CELL_CHARS)
        .enumerate()
        .map(|(i, piece)| {
            let text: String = piece.iter().collect();
            if i == 0 {
                text
            } else {
                format!("（续）{text}")
            }
        })
        .collect()
}

fn workbook(report: &AnnualReport, narrative: &Narrative) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let title = title(report);
    let sections = sections(report, narrative);
    let mut book = Workbook::new();
    book.set_properties(
        &DocProperties::new()
            .set_title(&title)
            .set_author(&report.agency),
    );
    text_sheet(book.add_worksheet(), &title, &sections, &styles)?;
    for section in &sections {
        if let Body::Table(grid) = &section.body {
            table_sheet(book.add_worksheet(), &title, section.heading, grid, &styles)?;
        }
    }
    book.save_to_buffer()
}

/// The cell formats.
struct Styles {
    title: Format,
    heading: Format,
    paragraph: Format,
    header: Format,
    label: Format,
    figure: Format,
    note: Format,
}

impl Styles {
    fn new() -> Self {
        let plain = Format::new().set_font_name(CJK_FONT).set_font_size(11);
        let boxed = plain
            .clone()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap();
        Styles {
            title: plain.clone().set_bold().set_font_size(14),
            heading: plain.clone().set_bold().set_font_size(12),
            paragraph: plain.set_text_wrap().set_align(FormatAlign::Top),
            header: boxed.clone().set_bold().set_align(FormatAlign::Center),
            label: boxed.clone().set_align(FormatAlign::Left),
            figure: boxed.clone().set_align(FormatAlign::Center),
            note: boxed.set_font_size(9).set_align(FormatAlign::Center),
        }
    }

    fn of(&self, role: Role) -> &Format {
        match role {
            Role::Header => &self.header,
            Role::Label => &self.label,
            Role::Figure => &self.figure,
            Role::Note => &self.note,
        }
    }
}

/// A figure's value and its number format (as many decimals as printed), unless it is a
/// blank or not a figure.
fn number(cell: &Placed) -> Option<(f64, String)> {
    if cell.role != Role::Figure {
        return None;
    }
    let value = cell.text.parse::<f64>().ok()?;
    let format = match cell.text.split_once('.') {
        Some((_, decimals)) => format!("0.{}", "0".repeat(decimals.len())),
        None => "0".to_string(),
    };
    Some((value, format))
}

/// A width in characters of CJK text as Excel's column width (in digits of the default font).
fn column_width(chars: f64) -> f64 {
    chars * 2.2 + 1.0
}

/// The height of a line of 11-point CJK text, in points.
const LINE_HEIGHT: f64 = 16.0;

/// The height of a row whose text takes `lines` lines. Set on every row: spreadsheet programs
/// do not all fit rows to wrapped text when they open a file.
fn row_height(lines: f64) -> f64 {
    lines * LINE_HEIGHT + 2.0
}

/// The lines `text` wraps to in a column `chars` CJK characters wide (other characters count
/// half).
fn lines(text: &str, chars: f64) -> f64 {
    let width: f64 = text
        .chars()
        .map(|c| if c.is_ascii() { 0.5 } else { 1.0 })
        .sum();
    (width / chars).ceil().max(1.0)
}

fn table_sheet(
    sheet: &mut Worksheet,
    title: &str,
    heading: &str,
    grid: &Grid,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.set_name(grid.sheet)?;
    for (col, chars) in grid.widths.iter().enumerate() {
        sheet.set_column_width(col as u16, column_width(*chars))?;
    }
    let last = (grid.widths.len() - 1) as u16;
    sheet.merge_range(0, 0, 0, last, title, &styles.title)?;
    sheet.merge_range(1, 0, 1, last, heading, &styles.heading)?;
    sheet.set_row_height(0, row_height(1.4))?;
    sheet.set_row_height(1, row_height(1.2))?;
    for row in 0..grid.rows {
        // A row is as high as the longest text of a cell that lies in it alone.
        let most = grid
            .cells
            .iter()
            .filter(|c| c.row == row && c.rows == 1)
            .map(|c| lines(&c.text, grid.widths[c.col..c.col + c.cols].iter().sum()))
            .fold(1.0, f64::max);
        sheet.set_row_height(TABLE_TOP + row as u32, row_height(most))?;
    }
    for cell in &grid.cells {
        let (row, col) = (TABLE_TOP + cell.row as u32, cell.col as u16);
        let format = styles.of(cell.role);
        if cell.rows > 1 || cell.cols > 1 {
            let (last_row, last_col) = (row + cell.rows as u32 - 1, col + cell.cols as u16 - 1);
            sheet.merge_range(row, col, last_row, last_col, "", format)?;
        }
        match number(cell) {
            Some((value, num_format)) => {
                let format = format.clone().set_num_format(num_format);
                sheet.write_number_with_format(row, col, value, &format)?;
            }
            None => {
                sheet.write_string_with_format(row, col, &cell.text, format)?;
            }
        }
    }
    sheet.set_paper_size(9); // A4
    if grid.wide {
        sheet.set_landscape();
    }
    sheet.set_print_fit_to_pages(1, 0);
    Ok(())
}

fn text_sheet(
    sheet: &mut Worksheet,
    title: &str,
    sections: &[Section],
    styles: &Styles,
) -> Result<(), XlsxError> {
    const WIDTH: f64 = 32.0;
    sheet.set_name(TEXT_SHEET)?;
    sheet.set_column_width(0, column_width(WIDTH))?;
    sheet.write_string_with_format(0, 0, title, &styles.title)?;
    sheet.set_row_height(0, row_height(1.4))?;
    let mut row = 1;
    for section in sections {
        row += 1;
        sheet.write_string_with_format(row, 0, section.heading, &styles.heading)?;
        sheet.set_row_height(row, row_height(1.2))?;
        let texts: Vec<String> = match &section.body {
            Body::Text(text) => paragraphs(text).flat_map(cell_pieces).collect(),
            Body::Table(grid) => vec![format!("见工作表「{}」。", grid.sheet)],
        };
        for line in texts {
            row += 1;
            sheet.write_string_with_format(row, 0, &line, &styles.paragraph)?;
            sheet.set_row_height(row, row_height(lines(&line, WIDTH)).min(MAX_ROW_HEIGHT))?;
        }
    }
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    Ok(())
}

/// A list as a one-sheet workbook (an export of the case list, the audit trail): the title in
/// the first row, then the header row, frozen, then one row an item, every cell text. The
/// columns' `widths` are in CJK characters.
pub fn list_to_xlsx(
    title: &str,
    columns: &[(&str, f64)],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, String> {
    list_workbook(title, columns, rows).map_err(|e| format!("无法生成 .xlsx 文件：{e}"))
}

fn list_workbook(
    title: &str,
    columns: &[(&str, f64)],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_title(title));
    let sheet = book.add_worksheet();
    sheet.set_name("列表")?;
    sheet.write_string_with_format(0, 0, title, &styles.title)?;
    for (c, (name, width)) in columns.iter().enumerate() {
        let col = u16::try_from(c).map_err(|_| XlsxError::ParameterError("列数过多".into()))?;
        sheet.set_column_width(col, column_width(*width))?;
        sheet.write_string_with_format(1, col, *name, &styles.header)?;
    }
    sheet.set_freeze_panes(2, 0)?;
    for (r, row) in rows.iter().enumerate() {
        let at = u32::try_from(r + 2).map_err(|_| XlsxError::ParameterError("行数过多".into()))?;
        for (c, text) in row.iter().enumerate() {
            let col = u16::try_from(c).map_err(|_| XlsxError::ParameterError("列数过多".into()))?;
            let text: String = text.chars().take(CELL_CHARS).collect();
            sheet.write_string_with_format(at, col, &text, &styles.label)?;
        }
    }
    book.save_to_buffer()
}
