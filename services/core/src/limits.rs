//! The limits of what ogi accepts, in one table: how long each text field may be, which
//! characters it may hold, which years and dates are plausible, how large a request, an event
//! and a case-record line may be. Every edge — the gRPC services, `ogi import`, `ogi records
//! validate` — checks against these, so nothing stored can later fail to travel on the bus.
//!
//! The sizes fit the domain (a name, a request, a reply letter, a narrative section) and the
//! bus: NATS carries at most 1 MiB a message, and the largest event (`decision.approved`, which
//! carries the request and the reply text) stays far below it when every field is within its
//! limit.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// The largest message NATS carries by default (`max_payload`).
pub const BUS_MAX_PAYLOAD_BYTES: usize = 1024 * 1024;

/// The largest gRPC request a service decodes: the bus's limit, so that no single request can
/// carry more than an event may.
pub const GRPC_MAX_MESSAGE_BYTES: usize = BUS_MAX_PAYLOAD_BYTES;

/// The largest line of a case-record file. A record with every field at its limit takes well
/// under half of it.
pub const RECORD_LINE_MAX_BYTES: usize = 256 * 1024;

/// The largest annual report JSON (`CheckReport`, table 二's figures) a service reads.
pub const REPORT_JSON_MAX_BYTES: usize = 400 * 1024;

/// The first year of the regulations' era: the 2008 Regulations on Open Government Information
/// took effect on 1 May 2008. No application, step or report year lies before it.
pub const FIRST_YEAR: i32 = 2008;

/// The last plausible year when the configuration names none (`year_horizon`). A configured
/// horizon, never the wall clock, bounds the years: legal dates are data.
pub const DEFAULT_YEAR_HORIZON: i32 = 2040;

/// Correction items (补正事项) one notice may list.
pub const MAX_CORRECTION_ITEMS: usize = 50;

/// Pages (按量) one fee notice may count: far beyond any real provision of information.
pub const MAX_FEE_PAGES: u32 = 100_000;

/// The applicant's n-th application in a month (按件) a fee notice may name.
pub const MAX_NTH_IN_MONTH: u32 = 1_000;

/// Counts in table 二 (主动公开情况): documents, items, cases — none reaches ten million.
pub const MAX_TABLE_COUNT: i64 = 10_000_000;

/// A text field's rule: its limit in characters and whether it may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// The field's name as a user reads it, in Chinese.
    pub label: &'static str,
    /// The most characters (Unicode scalar values) it may hold.
    pub max_chars: usize,
    /// A multi-line field may hold line breaks and tabs; a single-line one may not.
    pub multi_line: bool,
}

const fn single(label: &'static str, max_chars: usize) -> TextRule {
    TextRule {
        label,
        max_chars,
        multi_line: false,
    }
}

const fn multi(label: &'static str, max_chars: usize) -> TextRule {
    TextRule {
        label,
        max_chars,
        multi_line: true,
    }
}

/// The table: every text field ogi stores or searches, with its limit.
pub mod text {
    use super::{TextRule, multi, single};

    /// An agency's name as printed on the report (遂宁市安居区人民政府).
    pub const AGENCY: TextRule = single("行政机关名称", 100);
    /// The agency's own case reference (案件编号).
    pub const REFERENCE: TextRule = single("案件编号", 64);
    /// Who took a step (操作人).
    pub const ACTOR: TextRule = single("操作人", 64);
    /// An idempotency key (幂等键); an import's keys name the agency and the reference.
    pub const COMMAND_ID: TextRule = single("幂等键", 300);
    /// A case id (a UUID; room for other forms).
    pub const CASE_ID: TextRule = single("案件标识", 64);
    /// A code of a closed list (channel, outcome …).
    pub const CODE: TextRule = single("代码", 64);
    /// The applicant's name: a person's or an organisation's.
    pub const APPLICANT_NAME: TextRule = single("申请人姓名或名称", 200);
    /// An identity document's number.
    pub const ID_NUMBER: TextRule = single("证件号码", 64);
    /// A phone number.
    pub const PHONE: TextRule = single("联系电话", 32);
    /// An e-mail address (RFC 5321's limit).
    pub const EMAIL: TextRule = single("电子邮箱", 254);
    /// A postal address.
    pub const ADDRESS: TextRule = single("通信地址", 300);
    /// The description of the information requested (所需政府信息的描述).
    pub const DESCRIPTION: TextRule = multi("所需信息描述", 10_000);
    /// The text of a reply (答复正文).
    pub const REPLY_TEXT: TextRule = multi("答复正文", 20_000);
    /// The legal basis of a decision (法律依据).
    pub const LEGAL_BASIS: TextRule = multi("法律依据", 1_000);
    /// A reason (退回理由、延期理由、告知理由).
    pub const REASON: TextRule = multi("理由", 2_000);
    /// A consulted party's name, another agency's name, who approved an extension.
    pub const PARTY: TextRule = single("单位或人员名称", 200);
    /// A consulted party's opinion.
    pub const OPINION: TextRule = multi("意见", 5_000);
    /// One item of a correction notice (补正事项).
    pub const CORRECTION_ITEM: TextRule = multi("补正事项", 1_000);
    /// One narrative section of the annual report (年度报告文字部分). An Excel cell holds
    /// 32,767 characters; the .xlsx writer splits longer text anyway.
    pub const NARRATIVE: TextRule = multi("年度报告文字部分", 30_000);
    /// A search query.
    pub const QUERY: TextRule = single("查询内容", 100);
    /// A page token handed back by a list.
    pub const PAGE_TOKEN: TextRule = single("分页标记", 200);
    /// A service method (送达方式 …), a format name.
    pub const METHOD: TextRule = single("方式", 64);
    /// A row name in table 二 (a name a report may use for its rows).
    pub const REPORT_LABEL: TextRule = single("报告项目名称", 200);
    /// A document number (文号) of the catalogue, or of the document repealing one.
    pub const DOCUMENT_NUMBER: TextRule = single("文号", 100);
    /// A catalogue document's title.
    pub const DOCUMENT_TITLE: TextRule = single("文件标题", 500);
    /// Where a document is published.
    pub const URL: TextRule = single("网址", 2_000);
}

/// Why a text is refused, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextProblem {
    #[error("超过长度上限：{label}最多{max}个字符，实为{actual}个字符")]
    TooLong {
        label: &'static str,
        max: usize,
        actual: usize,
    },
    #[error("含有控制字符 {0}，不能保存")]
    ControlCharacter(String),
    #[error("含有文字方向控制字符 {0}（可能用于伪装显示内容），不能保存")]
    BidiControl(String),
    #[error("只含不可见字符，视同未填写")]
    OnlyInvisible,
    #[error("不能换行")]
    LineBreak,
}

/// `U+XXXX` for a character.
fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// Characters that change the direction text is shown in (Unicode bidi controls).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that show nothing: zero-width spaces and joiners, the word joiner, the BOM and
/// the other default-ignorable format characters that names are sometimes padded with.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
        )
        || is_bidi_control(c)
}

/// Check a text against its rule: its length, no control characters (a multi-line text may
/// hold line breaks and tabs), no bidi controls, and not only invisible characters when it is
/// not empty. An empty text passes: whether a field is required is the caller's rule.
pub fn check_text(rule: TextRule, text: &str) -> Result<(), TextProblem> {
    // Count without walking past the limit by much: a 50 MB text stops early.
    let actual = text.chars().take(rule.max_chars + 1).count();
    if actual > rule.max_chars {
        return Err(TextProblem::TooLong {
            label: rule.label,
            max: rule.max_chars,
            actual: text.chars().count(),
        });
    }
    for c in text.chars() {
        if matches!(c, '\n' | '\r') {
            if !rule.multi_line {
                return Err(TextProblem::LineBreak);
            }
            continue;
        }
        if c == '\t' && rule.multi_line {
            continue;
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            return Err(TextProblem::ControlCharacter(code_point(c)));
        }
        if is_bidi_control(c) {
            return Err(TextProblem::BidiControl(code_point(c)));
        }
    }
    if !text.is_empty() && text.chars().all(is_invisible) {
        return Err(TextProblem::OnlyInvisible);
    }
    Ok(())
}

/// Why a phone number or an e-mail address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactProblem {
    #[error("「{0}」不是有效的电话号码：只能含数字、空格、“+”“-”“(”“)”，数字5至20位")]
    Phone(String),
    #[error("「{0}」不是有效的电子邮箱地址，应形如 name@example.cn")]
    Email(String),
}

/// A phone number: digits with the usual separators, 5 to 20 digits (a 5-digit service
/// number to an international number with an extension).
pub fn check_phone(text: &str) -> Result<(), ContactProblem> {
    let t = text.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let allowed = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'));
    let plus_first = t.rfind('+').is_none_or(|i| i == 0);
    if allowed && plus_first && (5..=20).contains(&digits) {
        Ok(())
    } else {
        Err(ContactProblem::Phone(text.to_string()))
    }
}

/// An e-mail address: one `@`, a local part, a domain with a dot and no empty label, no
/// spaces or control characters.
pub fn check_email(text: &str) -> Result<(), ContactProblem> {
    let t = text.trim();
    let bad = || ContactProblem::Email(text.to_string());
    let (local, domain) = t.split_once('@').ok_or_else(bad)?;
    let fine = |s: &str| {
        !s.is_empty()
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | '<' | '>'))
    };
    if !fine(local) || !fine(domain) || !domain.contains('.') {
        return Err(bad());
    }
    if domain.split('.').any(str::is_empty) {
        return Err(bad());
    }
    Ok(())
}

/// The years ogi accepts: from [`FIRST_YEAR`] to a configured horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearRange {
    pub first: i32,
    pub last: i32,
}

impl Default for YearRange {
    fn default() -> Self {
        YearRange {
            first: FIRST_YEAR,
            last: DEFAULT_YEAR_HORIZON,
        }
    }
}

impl YearRange {
    /// The regulations' era up to `horizon`.
    pub fn up_to(horizon: i32) -> Self {
        YearRange {
            first: FIRST_YEAR,
            last: horizon,
        }
    }

    pub fn contains(&self, year: i32) -> bool {
        (self.first..=self.last).contains(&year)
    }

    /// A year, or why it is implausible.
    pub fn check_year(&self, year: i32) -> Result<i32, DateProblem> {
        if self.contains(year) {
            Ok(year)
        } else {
            Err(DateProblem::YearOutOfRange {
                year,
                first: self.first,
                last: self.last,
            })
        }
    }

    /// A date written strictly as `YYYY-MM-DD` whose year is in the range.
    pub fn parse_date(&self, text: &str) -> Result<NaiveDate, DateProblem> {
        let date = parse_iso_date(text)?;
        self.check_year(date.year())?;
        Ok(date)
    }
}

/// Why a date is refused, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateProblem {
    #[error("「{0}」格式不对，应为 YYYY-MM-DD（四位年、两位月、两位日，如 2024-01-05）")]
    Format(String),
    #[error("「{0}」不是日历上存在的日期")]
    NoSuchDate(String),
    #[error("年份{year}不在可受理的范围内（{first}年至{last}年）")]
    YearOutOfRange { year: i32, first: i32, last: i32 },
}

/// A date written exactly as `YYYY-MM-DD`: ten ASCII characters, no sign, no spaces, two-digit
/// month and day. (`chrono`'s `%Y-%m-%d` alone also takes ` 2024-01-01`, `2024-1-1` and
/// `-2024-01-01`.)
pub fn parse_iso_date(text: &str) -> Result<NaiveDate, DateProblem> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        let shown: String = text.chars().take(40).collect();
        return Err(DateProblem::Format(shown));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| DateProblem::NoSuchDate(text.into()))
}

/// A text as it may be shown on a terminal: control characters, bidi controls and other
/// invisible format characters are written as `\u{XXXX}` escapes (line breaks and tabs too
/// when `multi_line` is false), so that stored text can never drive the terminal.
pub fn escape_for_terminal(text: &str, multi_line: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let keep_layout = multi_line && matches!(c, '\n' | '\t');
        let hidden = (c.is_control() && !keep_layout)
            || is_bidi_control(c)
            || matches!(
                c,
                '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{2028}' | '\u{2029}'
            );
        if hidden {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for TextRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}（最多{}个字符）", self.label, self.max_chars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_and_names_the_limit() {
        assert!(check_text(text::REFERENCE, &"案".repeat(64)).is_ok());
        let e = check_text(text::REFERENCE, &"案".repeat(10_000)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "超过长度上限：案件编号最多64个字符，实为10000个字符"
        );
    }

    #[test]
    fn control_bidi_and_invisible_only_text_is_refused() {
        let name = text::APPLICANT_NAME;
        assert!(matches!(
            check_text(name, "王\u{0}五"),
            Err(TextProblem::ControlCharacter(c)) if c == "U+0000"
        ));
        assert!(matches!(
            check_text(name, "\u{1b}[31m王五"),
            Err(TextProblem::ControlCharacter(_))
        ));
        assert!(matches!(
            check_text(name, "王\u{202E}五"),
            Err(TextProblem::BidiControl(_))
        ));
        assert_eq!(
            check_text(name, "\u{200B}\u{200C}\u{FEFF}"),
            Err(TextProblem::OnlyInvisible)
        );
        assert_eq!(check_text(name, "王\n五"), Err(TextProblem::LineBreak));
        assert!(check_text(text::DESCRIPTION, "第一行\n第二行\t完").is_ok());
        assert!(
            check_text(name, "").is_ok(),
            "required-ness is the caller's"
        );
        assert!(check_text(name, "欧阳·娜娜").is_ok());
    }

    #[test]
    fn dates_are_strictly_iso_and_within_the_era() {
        let years = YearRange::default();
        assert_eq!(
            years.parse_date("2024-01-05").unwrap(),
            NaiveDate::from_ymd_opt(2024, 1, 5).unwrap()
        );
        for bad in [
            " 2024-01-01",
            "2024-1-1",
            "-2024-01-01",
            "2024-01-01 ",
            "20240101",
        ] {
            assert!(
                matches!(years.parse_date(bad), Err(DateProblem::Format(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            years.parse_date("2024-02-30"),
            Err(DateProblem::NoSuchDate(_))
        ));
        for far in ["0000-01-01", "2007-12-31", "2099-01-01", "9999-12-31"] {
            assert!(
                matches!(
                    years.parse_date(far),
                    Err(DateProblem::YearOutOfRange { .. })
                ),
                "{far}"
            );
        }
        assert!(YearRange::up_to(2100).parse_date("2099-01-01").is_ok());
        assert_eq!(
            years.check_year(-1).unwrap_err().to_string(),
            "年份-1不在可受理的范围内（2008年至2040年）"
        );
    }

    #[test]
    fn phones_and_emails() {
        for ok in ["13800000017", "0825-5651234", "+86 138 0000 0017", "12345"] {
            assert!(check_phone(ok).is_ok(), "{ok}");
        }
        for bad in ["abc", "1234", "138-0000-0017-1234-5678-901", "86+138"] {
            assert!(check_phone(bad).is_err(), "{bad}");
        }
        for ok in ["wang@example.cn", "a.b+c@mail.gov.cn"] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "wang",
            "wang@",
            "@example.cn",
            "wang@localhost",
            "a b@x.cn",
            "a@x..cn",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn terminal_escaping_leaves_no_raw_escape() {
        let shown = escape_for_terminal("王\u{1b}[2J\u{202E}五\n", false);
        assert_eq!(shown, "王\\u{001B}[2J\\u{202E}五\\u{000A}");
        assert_eq!(escape_for_terminal("一\n二", true), "一\n二");
        assert!(
            !escape_for_terminal("\u{7}\u{9b}", true)
                .chars()
                .any(char::is_control)
        );
    }
}
