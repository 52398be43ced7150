//! The case-record format (办理记录): one application per line of JSON Lines, as agencies
//! import the cases they handled before the system and as the system exports them
//! (`shared/spec/case-record.md`). Export → import → export is byte-identical.
//!
//! A line is checked in three passes: its shape (every field, type and code, with a JSON path
//! such as `history[2].event` for each problem), its values (non-empty names, money, dates in
//! order, review dates), and its procedure: the record's history is replayed through the
//! [`Case`] state machine, and a step the machine refuses rejects the line. A rejected line
//! never stops the others. A wrong identity check digit only warns: old records hold such
//! numbers, and new applications are checked at intake.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::case::{Case, Command, ConsultationKind, TransitionError};
use crate::codes::{
    ApplicantType, Channel, Delivery, IdType, OutcomeCode, RequestForm, ReviewKind, ReviewResult,
    UnknownCode,
};
use crate::fees::parse_yuan;
use crate::identity::check_identity;
use crate::limits::{self, YearRange, text};

/// The statutory maximum of an extension (延期答复, Art. 33), in working days.
pub const MAX_EXTENSION_DAYS: u32 = 20;

/// One application and what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseRecord {
    /// The agency's own case number (案件编号), unique within the agency.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The administrative organ (行政机关) that received the application.
    pub agency: String,
    /// The statutory receipt date (收到申请之日, Art. 31).
    pub received_on: NaiveDate,
    pub channel: Channel,
    pub applicant: Applicant,
    pub request: RequestDetails,
    /// Dated procedural events, oldest first.
    pub history: Vec<HistoryEntry>,
    /// `None` while the case is open.
    pub outcome: Option<RecordOutcome>,
    /// Reconsiderations and lawsuits brought over the reply.
    pub reviews: Vec<ReviewRecord>,
}

/// The applicant (申请人).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applicant {
    #[serde(rename = "type")]
    pub applicant_type: ApplicantType,
    pub name: String,
    pub id_type: IdType,
    pub id_number: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
}

/// What was asked for and how (Art. 29).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestDetails {
    pub description: String,
    pub form: RequestForm,
    pub delivery: Delivery,
}

/// One dated procedural event: `{"on": "2024-03-07", "event": "correction_requested", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub on: NaiveDate,
    #[serde(flatten)]
    pub event: HistoryEvent,
}

/// The procedural events a record may hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum HistoryEvent {
    /// 补正通知, with the applicant's deadline.
    CorrectionRequested {
        due_on: Option<NaiveDate>,
    },
    /// 补正材料收到.
    Corrected,
    /// 征求第三方意见.
    ThirdPartyConsulted,
    ThirdPartyReplied,
    /// 征求其他机关意见.
    OtherAgencyConsulted,
    OtherAgencyReplied,
    /// 延期答复, by `days` working days.
    Extended {
        days: u32,
    },
    /// 收费通知; the amount is a decimal string in yuan.
    FeeNotified {
        amount_yuan: String,
    },
    FeePaid,
}

impl HistoryEvent {
    /// Every event name, as the format spells it.
    pub const NAMES: &'static [&'static str] = &[
        "correction_requested",
        "corrected",
        "third_party_consulted",
        "third_party_replied",
        "other_agency_consulted",
        "other_agency_replied",
        "extended",
        "fee_notified",
        "fee_paid",
    ];

    /// The event name as the format spells it.
    pub fn name(&self) -> &'static str {
        match self {
            HistoryEvent::CorrectionRequested { .. } => "correction_requested",
            HistoryEvent::Corrected => "corrected",
            HistoryEvent::ThirdPartyConsulted => "third_party_consulted",
            HistoryEvent::ThirdPartyReplied => "third_party_replied",
            HistoryEvent::OtherAgencyConsulted => "other_agency_consulted",
            HistoryEvent::OtherAgencyReplied => "other_agency_replied",
            HistoryEvent::Extended { .. } => "extended",
            HistoryEvent::FeeNotified { .. } => "fee_notified",
            HistoryEvent::FeePaid => "fee_paid",
        }
    }

    /// The fields the event carries besides `on` and `event`: (required, optional).
    fn extra_fields(name: &str) -> (&'static [&'static str], &'static [&'static str]) {
        match name {
            "correction_requested" => (&[], &["due_on"]),
            "extended" => (&["days"], &[]),
            "fee_notified" => (&["amount_yuan"], &[]),
            _ => (&[], &[]),
        }
    }
}

/// The reply: its outcome code and date (答复日期).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordOutcome {
    pub code: OutcomeCode,
    pub replied_on: NaiveDate,
}

/// A reconsideration (行政复议) or lawsuit (行政诉讼) over the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRecord {
    pub kind: ReviewKind,
    pub filed_on: NaiveDate,
    pub result: ReviewResult,
    pub concluded_on: Option<NaiveDate>,
}

/// A problem found on one line: an error rejects the line, a warning keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineIssue {
    /// 1-based line number in the file.
    pub line: usize,
    /// The record's `ref`, when the line got far enough to have one.
    pub reference: Option<String>,
    /// JSON path of the field at fault (`history[2].event`, `applicant.id_number`); `$` is the
    /// whole line.
    pub field: String,
    /// Why, in Chinese.
    pub reason: String,
}

impl fmt::Display for LineIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第{}行", self.line)?;
        if let Some(reference) = &self.reference {
            write!(f, "（{reference}）")?;
        }
        write!(f, " {}：{}", self.field, self.reason)
    }
}

/// The outcome of reading a whole file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedRecords {
    /// The valid records with their line numbers, in file order.
    pub records: Vec<(usize, CaseRecord)>,
    /// One or more errors per rejected line.
    pub errors: Vec<LineIssue>,
    /// Warnings on kept lines.
    pub warnings: Vec<LineIssue>,
}

/// A step of a record's history that the case state machine refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}：{error}")]
pub struct ReplayError {
    /// JSON path of the record field at fault (`history[1].event`, `outcome.replied_on`).
    pub field: String,
    pub error: TransitionError,
}

/// Read a JSON Lines file. Blank lines are skipped; every bad line is reported and the good
/// ones are kept. A `ref` seen twice for the same agency rejects the later line.
pub fn parse_jsonl(text: &str) -> ParsedRecords {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = ParsedRecords::default();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line_no = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.len() > limits::RECORD_LINE_MAX_BYTES {
            parsed.errors.push(overlong_line(line_no, line.len()));
            continue;
        }
        accept_line(&mut parsed, &mut seen, line_no, line);
    }
    parsed
}

/// The error of a line longer than [`limits::RECORD_LINE_MAX_BYTES`].
fn overlong_line(line_no: usize, bytes: usize) -> LineIssue {
    LineIssue {
        line: line_no,
        reference: None,
        field: "$".into(),
        reason: format!(
            "本行长{bytes}字节，超过每行上限{}字节，未读入",
            limits::RECORD_LINE_MAX_BYTES
        ),
    }
}

/// Read a JSON Lines file from `reader` one line at a time, never holding more than
/// [`limits::RECORD_LINE_MAX_BYTES`] of a line: a longer line is skipped to its end and
/// reported by number, a line that is not UTF-8 is reported by number, and the rest is read as
/// [`parse_jsonl`] reads it.
pub fn read_jsonl<R: io::BufRead>(mut reader: R) -> io::Result<ParsedRecords> {
    let mut parsed = ParsedRecords::default();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        line_no += 1;
        buf.clear();
        let (bytes, complete) =
            read_line_capped(&mut reader, &mut buf, limits::RECORD_LINE_MAX_BYTES)?;
        if bytes == 0 {
            break;
        }
        if !complete {
            parsed.errors.push(overlong_line(line_no, bytes));
            continue;
        }
        let mut raw: &[u8] = &buf;
        raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line_no == 1 {
            raw = raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw);
        }
        match std::str::from_utf8(raw) {
            Ok(line) => accept_line(&mut parsed, &mut seen, line_no, line),
            Err(e) => parsed.errors.push(LineIssue {
                line: line_no,
                reference: None,
                field: "$".into(),
                reason: format!(
                    "不是有效的UTF-8编码（第{}字节起），请以UTF-8保存文件",
                    e.valid_up_to() + 1
                ),
            }),
        }
    }
    Ok(parsed)
}

/// Read one line (with its `\n`) into `buf`, keeping at most `cap` bytes of it. Returns the
/// line's length in bytes and whether it was kept whole; a longer line is consumed to its end
/// without being kept.
fn read_line_capped<R: io::BufRead>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<(usize, bool)> {
    let mut total = 0;
    let mut kept = true;
    loop {
        let available = match reader.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((total, kept));
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let n = chunk.len();
        if kept && buf.len() + n <= cap + 2 {
            buf.extend_from_slice(chunk);
        } else {
            kept = false;
            buf.clear();
        }
        total += n;
        reader.consume(n);
        if done {
            return Ok((total, kept));
        }
    }
}

/// Read one line of a file into `parsed`: blank lines are skipped, a `ref` seen before for the
/// same agency rejects the line.
fn accept_line(
    parsed: &mut ParsedRecords,
    seen: &mut HashMap<(String, String), usize>,
    line_no: usize,
    line: &str,
) {
    {
        if line.trim().is_empty() {
            return;
        }
        match parse_line(line_no, line) {
            Ok((record, warnings)) => {
                let key = (
                    record.agency.trim().to_string(),
                    record.reference.trim().to_string(),
                );
                if let Some(first) = seen.get(&key) {
                    parsed.errors.push(LineIssue {
                        line: line_no,
                        reference: Some(record.reference.clone()),
                        field: "ref".into(),
                        reason: format!(
                            "案件编号「{}」与第{first}行重复，同一机关的案件编号应唯一",
                            record.reference
                        ),
                    });
                    return;
                }
                seen.insert(key, line_no);
                parsed.warnings.extend(warnings);
                parsed.records.push((line_no, record));
            }
            Err(errors) => parsed.errors.extend(errors),
        }
    }
}

/// Read and check one line: the record and its warnings, or every error found.
pub fn parse_line(
    line_no: usize,
    text: &str,
) -> Result<(CaseRecord, Vec<LineIssue>), Vec<LineIssue>> {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => {
            return Err(vec![LineIssue {
                line: line_no,
                reference: None,
                field: "$".into(),
                reason: format!("JSON格式错误（第{}列）：{}", e.column(), json_message(&e)),
            }]);
        }
    };
    let reference = value.get("ref").and_then(Value::as_str).map(str::to_string);
    let mut check = Checker {
        line: line_no,
        reference: reference.clone(),
        issues: Vec::new(),
    };

    check.shape(&value);
    if !check.issues.is_empty() {
        return Err(check.issues);
    }
    let record: CaseRecord = match serde_json::from_value(value) {
        Ok(record) => record,
        Err(e) => {
            // The shape check mirrors the types; this is a safety net.
            check.error("$", format!("记录格式错误：{e}"));
            return Err(check.issues);
        }
    };

    check.values(&record);
    if let Err(replay) = record.replay()
        && !check.issues.iter().any(|i| i.field == replay.field)
    {
        check.error(replay.field, replay.error.to_string());
    }
    if !check.issues.is_empty() {
        return Err(check.issues);
    }

    let mut warnings = Vec::new();
    if let Err(e) = check_identity(record.applicant.id_type, &record.applicant.id_number) {
        warnings.push(LineIssue {
            line: line_no,
            reference,
            field: "applicant.id_number".into(),
            reason: format!("证件号码校验未通过：{e}；历史记录照常导入，请核对"),
        });
    }
    Ok((record, warnings))
}

/// serde_json's message without its trailing "at line L column C".
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Write a record as one line: keys in the format's order, `null`s written out, separators
/// `", "` and `": "` as the format's examples use them. Reading the line gives the record back.
pub fn to_jsonl_line(record: &CaseRecord) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SpacedFormatter);
    record
        .serialize(&mut ser)
        .expect("a case record always serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Compact JSON with a space after `,` and `:`.
struct SpacedFormatter;

impl serde_json::ser::Formatter for SpacedFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

/// Where a replayed command comes from in the record.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Receipt,
    History(usize),
    Outcome,
    Review(usize),
}

impl Origin {
    /// The record field for a command field named by [`TransitionError::field`].
    fn path(self, command_field: &str) -> String {
        match self {
            Origin::Receipt => "received_on".into(),
            Origin::History(i) => match command_field {
                "on" | "due_on" | "days" => format!("history[{i}].{command_field}"),
                "amount" => format!("history[{i}].amount_yuan"),
                _ => format!("history[{i}].event"),
            },
            Origin::Outcome => match command_field {
                "on" => "outcome.replied_on".into(),
                "outcome" => "outcome.code".into(),
                _ => "outcome".into(),
            },
            Origin::Review(i) => match command_field {
                "filed_on" | "concluded_on" => format!("reviews[{i}].{command_field}"),
                _ => format!("reviews[{i}]"),
            },
        }
    }
}

impl CaseRecord {
    /// The commands a handler would have given, in order, with the record's own dates: the
    /// acceptance on the receipt date (unless the history starts with a correction notice, when
    /// the correction accepts the case), the history, the outcome as a draft approved in one
    /// level and served on the reply date, then the reviews. An `amount_yuan` that is not a
    /// valid amount becomes zero, which the state machine refuses.
    pub fn commands(&self) -> Vec<Command> {
        self.planned_commands()
            .into_iter()
            .map(|(cmd, _)| cmd)
            .collect()
    }

    fn planned_commands(&self) -> Vec<(Command, Origin)> {
        let mut commands = Vec::new();
        let starts_with_correction = matches!(
            self.history.first(),
            Some(HistoryEntry {
                event: HistoryEvent::CorrectionRequested { .. },
                ..
            })
        );
        if !starts_with_correction {
            commands.push((
                Command::Accept {
                    on: self.received_on,
                },
                Origin::Receipt,
            ));
        }
        for (i, entry) in self.history.iter().enumerate() {
            let on = entry.on;
            let cmd = match &entry.event {
                HistoryEvent::CorrectionRequested { due_on } => Command::RequestCorrection {
                    on,
                    due_on: *due_on,
                },
                HistoryEvent::Corrected => Command::Correct { on },
                HistoryEvent::ThirdPartyConsulted => Command::Consult {
                    on,
                    kind: ConsultationKind::ThirdParty,
                },
                HistoryEvent::ThirdPartyReplied => Command::ConsultationReplied {
                    on,
                    kind: ConsultationKind::ThirdParty,
                },
                HistoryEvent::OtherAgencyConsulted => Command::Consult {
                    on,
                    kind: ConsultationKind::OtherAgency,
                },
                HistoryEvent::OtherAgencyReplied => Command::ConsultationReplied {
                    on,
                    kind: ConsultationKind::OtherAgency,
                },
                HistoryEvent::Extended { days } => Command::Extend {
                    on,
                    days: *days,
                    max_days: MAX_EXTENSION_DAYS,
                },
                HistoryEvent::FeeNotified { amount_yuan } => Command::NotifyFee {
                    on,
                    amount: parse_yuan(amount_yuan).unwrap_or(Decimal::ZERO),
                },
                HistoryEvent::FeePaid => Command::PayFee { on },
            };
            commands.push((cmd, Origin::History(i)));
        }
        if let Some(outcome) = self.outcome {
            let on = outcome.replied_on;
            commands.push((
                Command::Draft {
                    on,
                    outcome: outcome.code,
                    legal_basis: String::new(),
                    reply_text: String::new(),
                },
                Origin::Outcome,
            ));
            commands.push((
                Command::Approve {
                    on,
                    levels_required: 1,
                },
                Origin::Outcome,
            ));
            commands.push((Command::Serve { on }, Origin::Outcome));
        }
        for (i, review) in self.reviews.iter().enumerate() {
            commands.push((
                Command::RecordReview {
                    filed_on: review.filed_on,
                    kind: review.kind,
                    result: review.result,
                    concluded_on: review.concluded_on,
                },
                Origin::Review(i),
            ));
        }
        commands
    }

    /// Replay the record through the case state machine: the case as the record leaves it,
    /// or the first step refused, with the record field it comes from.
    pub fn replay(&self) -> Result<Case, ReplayError> {
        let mut case = Case::received(self.received_on);
        for (cmd, origin) in self.planned_commands() {
            case.handle(&cmd).map_err(|error| ReplayError {
                field: origin.path(error.field()),
                error,
            })?;
        }
        Ok(case)
    }
}

/// Collects the issues of one line.
struct Checker {
    line: usize,
    reference: Option<String>,
    issues: Vec<LineIssue>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "布尔值",
        Value::Number(_) => "数字",
        Value::String(_) => "字符串",
        Value::Array(_) => "数组",
        Value::Object(_) => "对象",
    }
}

impl Checker {
    fn error(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.issues.push(LineIssue {
            line: self.line,
            reference: self.reference.clone(),
            field: field.into(),
            reason: reason.into(),
        });
    }

    /// An object with exactly these required keys and possibly these optional ones.
    fn object<'v>(
        &mut self,
        value: &'v Value,
        path: &str,
        required: &[&str],
        optional: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(map) = value.as_object() else {
            let field = if path.is_empty() { "$" } else { path };
            self.error(field, format!("应为JSON对象，实际为{}", type_name(value)));
            return None;
        };
        for key in map.keys() {
            if !required.contains(&key.as_str()) && !optional.contains(&key.as_str()) {
                self.error(join(path, key), format!("未知字段「{key}」"));
            }
        }
        for key in required {
            if !map.contains_key(*key) {
                self.error(join(path, key), "缺少必填字段");
            }
        }
        Some(map)
    }

    fn string(&mut self, map: &Map<String, Value>, path: &str, key: &str) {
        if let Some(value) = map.get(key) {
            self.string_value(value, &join(path, key), false);
        }
    }

    fn string_value(&mut self, value: &Value, field: &str, nullable: bool) {
        match value {
            Value::String(_) => {}
            Value::Null if nullable => {}
            other => self.error(field, format!("应为字符串，实际为{}", type_name(other))),
        }
    }

    fn date(&mut self, map: &Map<String, Value>, path: &str, key: &str, nullable: bool) {
        let field = join(path, key);
        match map.get(key) {
            None => {}
            Some(Value::Null) if nullable => {}
            Some(Value::String(s)) => {
                if let Err(e) = YearRange::default().parse_date(s) {
                    self.error(field, e.to_string());
                }
            }
            Some(other) => self.error(
                field,
                format!("应为YYYY-MM-DD格式的日期字符串，实际为{}", type_name(other)),
            ),
        }
    }

    fn code<T: FromStr<Err = UnknownCode>>(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        key: &str,
    ) {
        let field = join(path, key);
        match map.get(key) {
            None => {}
            Some(Value::String(s)) => {
                if let Err(e) = s.parse::<T>() {
                    self.error(field, e.to_string());
                }
            }
            Some(other) => {
                self.error(field, format!("应为代码字符串，实际为{}", type_name(other)));
            }
        }
    }

    fn array<'v>(&mut self, map: &'v Map<String, Value>, key: &str) -> &'v [Value] {
        match map.get(key) {
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.error(key, format!("应为数组，实际为{}", type_name(other)));
                &[]
            }
            None => &[],
        }
    }

    /// Check every field, type and code, mirroring the serde types.
    fn shape(&mut self, value: &Value) {
        const TOP: [&str; 8] = [
            "ref",
            "agency",
            "received_on",
            "channel",
            "applicant",
            "request",
            "history",
            "reviews",
        ];
        let Some(root) = self.object(value, "", &TOP, &["outcome"]) else {
            return;
        };
        self.string(root, "", "ref");
        self.string(root, "", "agency");
        self.date(root, "", "received_on", false);
        self.code::<Channel>(root, "", "channel");

        if let Some(applicant) = root.get("applicant") {
            let required = ["type", "name", "id_type", "id_number"];
            let optional = ["phone", "address", "email"];
            if let Some(a) = self.object(applicant, "applicant", &required, &optional) {
                self.code::<ApplicantType>(a, "applicant", "type");
                self.string(a, "applicant", "name");
                self.code::<IdType>(a, "applicant", "id_type");
                self.string(a, "applicant", "id_number");
                for key in optional {
                    if let Some(v) = a.get(key) {
                        self.string_value(v, &join("applicant", key), true);
                    }
                }
            }
        }

        if let Some(request) = root.get("request") {
            let required = ["description", "form", "delivery"];
            if let Some(r) = self.object(request, "request", &required, &[]) {
                self.string(r, "request", "description");
                self.code::<RequestForm>(r, "request", "form");
                self.code::<Delivery>(r, "request", "delivery");
            }
        }

        for (i, entry) in self.array(root, "history").iter().enumerate() {
            self.history_entry(entry, &format!("history[{i}]"));
        }

        match root.get("outcome") {
            None | Some(Value::Null) => {}
            Some(outcome) => {
                if let Some(o) = self.object(outcome, "outcome", &["code", "replied_on"], &[]) {
                    self.code::<OutcomeCode>(o, "outcome", "code");
                    self.date(o, "outcome", "replied_on", false);
                }
            }
        }

        for (i, review) in self.array(root, "reviews").iter().enumerate() {
            let path = format!("reviews[{i}]");
            let required = ["kind", "filed_on", "result"];
            if let Some(r) = self.object(review, &path, &required, &["concluded_on"]) {
                self.code::<ReviewKind>(r, &path, "kind");
                self.date(r, &path, "filed_on", false);
                self.code::<ReviewResult>(r, &path, "result");
                self.date(r, &path, "concluded_on", true);
            }
        }
    }

    fn history_entry(&mut self, entry: &Value, path: &str) {
        let Some(map) = entry.as_object() else {
            self.error(path, format!("应为JSON对象，实际为{}", type_name(entry)));
            return;
        };
        let event_field = join(path, "event");
        let name = match map.get("event") {
            None => {
                self.error(event_field, "缺少必填字段");
                return;
            }
            Some(Value::String(name)) if HistoryEvent::NAMES.contains(&name.as_str()) => name,
            Some(Value::String(name)) => {
                let unknown = UnknownCode {
                    kind: "办理事件",
                    value: name.clone(),
                };
                self.error(event_field, unknown.to_string());
                return;
            }
            Some(other) => {
                self.error(
                    event_field,
                    format!("应为代码字符串，实际为{}", type_name(other)),
                );
                return;
            }
        };
        let (extra_required, extra_optional) = HistoryEvent::extra_fields(name);
        let mut required = vec!["on", "event"];
        required.extend_from_slice(extra_required);
        self.object(entry, path, &required, extra_optional);
        self.date(map, path, "on", false);
        if extra_optional.contains(&"due_on") {
            self.date(map, path, "due_on", true);
        }
        if let Some(days) = map.get("days")
            && days.as_u64().is_none_or(|n| u32::try_from(n).is_err())
        {
            self.error(join(path, "days"), format!("应为非负整数，实际为{days}"));
        }
        if let Some(amount) = map.get("amount_yuan")
            && !amount.is_string()
        {
            self.error(
                join(path, "amount_yuan"),
                format!(
                    "金额应为十进制字符串（如\"300.00\"），实际为{}",
                    type_name(amount)
                ),
            );
        }
    }

    /// Checks on the values of a well-formed record; the procedure is checked by replay.
    fn values(&mut self, record: &CaseRecord) {
        for (field, value) in [
            ("ref", &record.reference),
            ("agency", &record.agency),
            ("applicant.name", &record.applicant.name),
        ] {
            if value.trim().is_empty() {
                self.error(field, "不能为空");
            }
        }
        let a = &record.applicant;
        let texts = [
            ("ref", text::REFERENCE, Some(&record.reference)),
            ("agency", text::AGENCY, Some(&record.agency)),
            ("applicant.name", text::APPLICANT_NAME, Some(&a.name)),
            ("applicant.id_number", text::ID_NUMBER, Some(&a.id_number)),
            ("applicant.phone", text::PHONE, a.phone.as_ref()),
            ("applicant.email", text::EMAIL, a.email.as_ref()),
            ("applicant.address", text::ADDRESS, a.address.as_ref()),
            (
                "request.description",
                text::DESCRIPTION,
                Some(&record.request.description),
            ),
        ];
        for (field, rule, value) in texts {
            if let Some(value) = value.filter(|v| !v.trim().is_empty())
                && let Err(e) = limits::check_text(rule, value)
            {
                self.error(field, e.to_string());
            }
        }
        if let Some(phone) = a.phone.as_deref().filter(|p| !p.trim().is_empty())
            && let Err(e) = limits::check_phone(phone)
        {
            self.error("applicant.phone", e.to_string());
        }
        if let Some(email) = a.email.as_deref().filter(|e| !e.trim().is_empty())
            && let Err(e) = limits::check_email(email)
        {
            self.error("applicant.email", e.to_string());
        }

        let mut previous = record.received_on;
        for (i, entry) in record.history.iter().enumerate() {
            let field = format!("history[{i}].on");
            if entry.on < record.received_on {
                self.error(
                    field,
                    format!("日期{}早于收到申请之日{}", entry.on, record.received_on),
                );
            } else if entry.on < previous {
                self.error(
                    field,
                    format!(
                        "日期{}早于上一条记录的日期{previous}，办理记录应按时间顺序排列",
                        entry.on
                    ),
                );
            }
            previous = previous.max(entry.on);
            match &entry.event {
                HistoryEvent::Extended { days } if *days == 0 || *days > MAX_EXTENSION_DAYS => {
                    self.error(
                        format!("history[{i}].days"),
                        format!("延期天数应为1至{MAX_EXTENSION_DAYS}个工作日，实际为{days}"),
                    );
                }
                HistoryEvent::FeeNotified { amount_yuan } => match parse_yuan(amount_yuan) {
                    Err(e) => self.error(format!("history[{i}].amount_yuan"), e.to_string()),
                    Ok(amount) if amount.is_zero() => {
                        self.error(format!("history[{i}].amount_yuan"), "收费金额应大于零")
                    }
                    Ok(_) => {}
                },
                _ => {}
            }
        }

        let replied_on = record.outcome.map(|o| o.replied_on);
        if let Some(replied_on) = replied_on
            && replied_on < record.received_on
        {
            self.error(
                "outcome.replied_on",
                format!("答复日期{replied_on}早于收到申请之日{}", record.received_on),
            );
        }

        for (i, review) in record.reviews.iter().enumerate() {
            let path = format!("reviews[{i}]");
            match replied_on {
                None => self.error(join(&path, "filed_on"), "案件尚未答复，不能有复议或诉讼"),
                Some(replied_on) if review.filed_on < replied_on => self.error(
                    join(&path, "filed_on"),
                    format!("提起日期{}早于答复日期{replied_on}", review.filed_on),
                ),
                Some(_) => {}
            }
            match (review.result, review.concluded_on) {
                (ReviewResult::Pending, Some(on)) => self.error(
                    join(&path, "concluded_on"),
                    format!("结果为「尚未审结」时审结日期应为null，实际为{on}"),
                ),
                (ReviewResult::Pending, None) => {}
                (_, None) => self.error(
                    join(&path, "concluded_on"),
                    "已审结的复议或诉讼须填写审结日期",
                ),
                (_, Some(on)) if on < review.filed_on => self.error(
                    join(&path, "concluded_on"),
                    format!("审结日期{on}早于提起日期{}", review.filed_on),
                ),
                (_, Some(_)) => {}
            }
        }
    }
}

/// The history a case record states, read back from a case (for export): every dated
/// procedural fact, oldest first; facts of the same day keep the procedure's order.
pub fn history_of(case: &crate::case::Case) -> Vec<HistoryEntry> {
    use crate::case::ConsultationKind;
    let mut out: Vec<(NaiveDate, u8, HistoryEntry)> = Vec::new();
    let mut push = |on: NaiveDate, rank: u8, event: HistoryEvent| {
        out.push((on, rank, HistoryEntry { on, event }))
    };
    if let Some(c) = case.correction() {
        push(
            c.requested_on,
            0,
            HistoryEvent::CorrectionRequested { due_on: c.due_on },
        );
        if let Some(on) = c.corrected_on {
            push(on, 1, HistoryEvent::Corrected);
        }
    }
    for c in case.consultations() {
        let (start, reply) = match c.kind {
            ConsultationKind::ThirdParty => (
                HistoryEvent::ThirdPartyConsulted,
                HistoryEvent::ThirdPartyReplied,
            ),
            ConsultationKind::OtherAgency => (
                HistoryEvent::OtherAgencyConsulted,
                HistoryEvent::OtherAgencyReplied,
            ),
        };
        push(c.started_on, 2, start);
        if let Some(on) = c.replied_on {
            push(on, 3, reply);
        }
    }
    if let Some(e) = case.extension() {
        push(e.on, 4, HistoryEvent::Extended { days: e.days });
    }
    if let Some(f) = case.fee() {
        push(
            f.notified_on,
            5,
            HistoryEvent::FeeNotified {
                amount_yuan: crate::fees::format_yuan(f.amount),
            },
        );
        if let Some(on) = f.paid_on {
            push(on, 6, HistoryEvent::FeePaid);
        }
    }
    out.sort_by_key(|(on, rank, _)| (*on, *rank));
    out.into_iter().map(|(_, _, h)| h).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Stage;

    const FIXTURE: &str = "/../../examples/anju-2024/cases.jsonl";

    fn fixture() -> String {
        let path = format!("{}{FIXTURE}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
    }

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// The example of case-record.md, on one line.
    const EXAMPLE: &str = r#"{"ref": "AJ2024-00017", "agency": "遂宁市安居区人民政府", "received_on": "2024-03-05", "channel": "online", "applicant": {"type": "natural_person", "name": "王建华", "id_type": "resident_id_card", "id_number": "510904198507120038", "phone": "13800000017", "address": "四川省遂宁市安居区……", "email": null}, "request": {"description": "申请公开……", "form": "electronic", "delivery": "email"}, "history": [{"on": "2024-03-07", "event": "correction_requested", "due_on": "2024-03-21"}, {"on": "2024-03-12", "event": "corrected"}, {"on": "2024-03-20", "event": "third_party_consulted"}, {"on": "2024-03-28", "event": "third_party_replied"}, {"on": "2024-04-01", "event": "extended", "days": 20}, {"on": "2024-04-02", "event": "fee_notified", "amount_yuan": "300.00"}, {"on": "2024-04-08", "event": "fee_paid"}], "outcome": {"code": "partially_disclosed", "replied_on": "2024-04-20"}, "reviews": [{"kind": "review", "filed_on": "2024-05-10", "result": "upheld", "concluded_on": "2024-07-01"}]}"#;

    /// The example with `from` replaced by `to` (once).
    fn edit(from: &str, to: &str) -> String {
        assert!(EXAMPLE.contains(from), "{from}");
        EXAMPLE.replacen(from, to, 1)
    }

    /// The errors of one line, as (field, reason).
    #[track_caller]
    fn errors(line: &str) -> Vec<(String, String)> {
        match parse_line(7, line) {
            Ok((record, _)) => panic!("accepted: {record:?}"),
            Err(issues) => {
                assert!(issues.iter().all(|i| i.line == 7));
                issues.into_iter().map(|i| (i.field, i.reason)).collect()
            }
        }
    }

    #[track_caller]
    fn single_error(line: &str) -> (String, String) {
        let mut all = errors(line);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn the_fixture_parses_replays_and_round_trips() {
        let text = fixture();
        let parsed = parse_jsonl(&text);
        assert_eq!(parsed.errors, [], "{:#?}", parsed.errors);
        assert_eq!(parsed.warnings, []);
        assert_eq!(parsed.records.len(), 168);
        let lines: Vec<&str> = text.lines().collect();
        for (line_no, record) in &parsed.records {
            let original = lines[line_no - 1];
            let exported = to_jsonl_line(record);
            let a: Value = serde_json::from_str(original).unwrap();
            let b: Value = serde_json::from_str(&exported).unwrap();
            assert_eq!(a, b, "line {line_no}");
            // The fixture's own spacing is the export's: byte-identical.
            assert_eq!(exported, original, "line {line_no}");
            let (again, warnings) = parse_line(*line_no, &exported).unwrap();
            assert_eq!(&again, record);
            assert!(warnings.is_empty());
            assert_eq!(to_jsonl_line(&again), exported);
            // Plain serde reads the same record as the checked reader.
            assert_eq!(
                &serde_json::from_str::<CaseRecord>(original).unwrap(),
                record
            );

            let case = record
                .replay()
                .unwrap_or_else(|e| panic!("line {line_no}: {e}"));
            assert_eq!(case.stage(), Stage::Closed, "line {line_no}");
            let outcome = record.outcome.unwrap();
            assert_eq!(case.outcome(), Some((outcome.code, outcome.replied_on)));
            assert_eq!(case.reviews().len(), record.reviews.len());
        }
        let extended = parsed.records.iter().filter(|(_, r)| {
            r.history
                .iter()
                .any(|h| matches!(h.event, HistoryEvent::Extended { .. }))
        });
        assert!(extended.count() > 0, "the demo cases exercise extensions");
    }

    #[test]
    fn the_spec_example_parses_and_replays() {
        let (record, warnings) = parse_line(1, EXAMPLE).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(record.reference, "AJ2024-00017");
        assert_eq!(record.applicant.email, None);
        assert_eq!(
            record.history[0],
            HistoryEntry {
                on: d("2024-03-07"),
                event: HistoryEvent::CorrectionRequested {
                    due_on: Some(d("2024-03-21"))
                }
            }
        );
        assert_eq!(to_jsonl_line(&record), EXAMPLE);
        let case = record.replay().unwrap();
        assert_eq!(
            case.outcome(),
            Some((OutcomeCode::PartiallyDisclosed, d("2024-04-20")))
        );
        assert_eq!(case.reply_clock_start(), d("2024-03-12"));
        assert_eq!(case.fee().unwrap().amount, Decimal::new(300, 0));
        // The history starts with a correction notice: no separate acceptance.
        let commands = record.commands();
        assert_eq!(
            commands[0],
            Command::RequestCorrection {
                on: d("2024-03-07"),
                due_on: Some(d("2024-03-21"))
            }
        );
        assert_eq!(commands.len(), 7 + 3 + 1);
        assert_eq!(commands[10].date(), d("2024-05-10"));
    }

    #[test]
    fn commands_accept_on_the_receipt_date_and_serve_on_the_reply_date() {
        let line = edit(
            r#"{"on": "2024-03-07", "event": "correction_requested", "due_on": "2024-03-21"}, {"on": "2024-03-12", "event": "corrected"}, "#,
            "",
        );
        let (record, _) = parse_line(1, &line).unwrap();
        let commands = record.commands();
        assert_eq!(
            commands[0],
            Command::Accept {
                on: d("2024-03-05")
            }
        );
        let n = commands.len();
        assert_eq!(
            commands[n - 4..n - 1],
            [
                Command::Draft {
                    on: d("2024-04-20"),
                    outcome: OutcomeCode::PartiallyDisclosed,
                    legal_basis: String::new(),
                    reply_text: String::new()
                },
                Command::Approve {
                    on: d("2024-04-20"),
                    levels_required: 1
                },
                Command::Serve {
                    on: d("2024-04-20")
                },
            ]
        );
    }

    #[test]
    fn an_open_case_is_kept_and_written_with_null_outcome() {
        let line = edit(
            r#""outcome": {"code": "partially_disclosed", "replied_on": "2024-04-20"}, "reviews": [{"kind": "review", "filed_on": "2024-05-10", "result": "upheld", "concluded_on": "2024-07-01"}]"#,
            r#""outcome": null, "reviews": []"#,
        );
        let (record, _) = parse_line(1, &line).unwrap();
        assert_eq!(record.outcome, None);
        assert_eq!(record.replay().unwrap().stage(), Stage::InProgress);
        assert_eq!(to_jsonl_line(&record), line);
        // A missing optional field reads as null and is written out.
        let short = line
            .replace(r#", "email": null"#, "")
            .replace(r#", "outcome": null"#, "");
        let (same, _) = parse_line(1, &short).unwrap();
        assert_eq!(same, record);
        assert_eq!(to_jsonl_line(&same), line);
    }

    #[test]
    fn a_broken_file_reports_each_line_and_keeps_the_good_ones() {
        let good = |r: &str| edit("AJ2024-00017", r);
        let lines = [
            good("A-1"),                                                              // 1
            String::new(),                                                            // 2 blank
            r#"{"ref": "A-3", "agency": }"#.to_string(),                              // 3
            edit("partially_disclosed", "withheld.secret").replace("AJ2024-00017", "A-4"), // 4
            edit(r#""replied_on": "2024-04-20""#, r#""replied_on": "2024-03-01""#)
                .replace("AJ2024-00017", "A-5"),                                      // 5
            edit(r#"{"on": "2024-03-07", "event": "correction_requested", "due_on": "2024-03-21"}, "#, "")
                .replace("AJ2024-00017", "A-6"),                                      // 6
            edit(r#"{"on": "2024-04-08", "event": "fee_paid"}"#, r#"{"on": "2024-04-08", "event": "fee_paid"}, {"on": "2024-04-09", "event": "extended", "days": 5}"#)
                .replace("AJ2024-00017", "A-7"),                                      // 7
            edit("510904198507120038", "510904198507120031").replace("AJ2024-00017", "A-8"), // 8
            good("A-1"),                                                              // 9 duplicate
            good("A-10"),                                                             // 10
            "   ".to_string(),                                                        // 11 blank
        ];
        let text = lines.join("\r\n");
        let parsed = parse_jsonl(&text);
        let kept: Vec<(usize, &str)> = parsed
            .records
            .iter()
            .map(|(n, r)| (*n, r.reference.as_str()))
            .collect();
        assert_eq!(kept, [(1, "A-1"), (8, "A-8"), (10, "A-10")]);

        let found: Vec<(usize, Option<&str>, &str)> = parsed
            .errors
            .iter()
            .map(|i| (i.line, i.reference.as_deref(), i.field.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (3, None, "$"),
                (4, Some("A-4"), "outcome.code"),
                (5, Some("A-5"), "outcome.replied_on"),
                (6, Some("A-6"), "history[0].event"),
                (7, Some("A-7"), "history[7].event"),
                (9, Some("A-1"), "ref"),
            ]
        );
        let reason = |line: usize| {
            &parsed
                .errors
                .iter()
                .find(|i| i.line == line)
                .unwrap()
                .reason
        };
        assert!(
            reason(3).starts_with("JSON格式错误（第26列）"),
            "{}",
            reason(3)
        );
        assert_eq!(reason(4), "未知的办理结果代码「withheld.secret」");
        assert_eq!(reason(5), "答复日期2024-03-01早于收到申请之日2024-03-05");
        assert_eq!(reason(6), "未发出补正通知，不能登记补正材料");
        assert_eq!(
            reason(7),
            "本案已于2024-04-01延期答复20个工作日；延期答复只能一次"
        );
        assert_eq!(
            reason(9),
            "案件编号「A-1」与第1行重复，同一机关的案件编号应唯一"
        );

        assert_eq!(parsed.warnings.len(), 1);
        let warning = &parsed.warnings[0];
        assert_eq!(
            (warning.line, warning.field.as_str()),
            (8, "applicant.id_number")
        );
        assert!(
            warning.reason.contains("校验码应为「8」"),
            "{}",
            warning.reason
        );
        assert_eq!(
            warning.to_string(),
            format!("第8行（A-8） applicant.id_number：{}", warning.reason)
        );
    }

    #[test]
    fn the_same_ref_in_another_agency_is_not_a_duplicate() {
        let other = edit("遂宁市安居区人民政府", "遂宁市安居区教育局");
        let parsed = parse_jsonl(&format!("\u{feff}{EXAMPLE}\n{other}\n"));
        assert_eq!(parsed.errors, []);
        assert_eq!(parsed.records.len(), 2);
    }

    #[test]
    fn shape_errors_name_the_field() {
        assert_eq!(
            single_error(&edit(r#""channel": "online""#, r#""channel": "telegram""#)),
            ("channel".into(), "未知的申请渠道代码「telegram」".into())
        );
        assert_eq!(
            single_error(&edit(r#""type": "natural_person""#, r#""type": "alien""#)),
            (
                "applicant.type".into(),
                "未知的申请人类型代码「alien」".into()
            )
        );
        assert_eq!(
            single_error(&edit(r#""event": "corrected""#, r#""event": "fixed""#)),
            (
                "history[1].event".into(),
                "未知的办理事件代码「fixed」".into()
            )
        );
        assert_eq!(
            single_error(&edit(r#""result": "upheld""#, r#""result": "won""#)),
            (
                "reviews[0].result".into(),
                "未知的复议诉讼结果代码「won」".into()
            )
        );
        assert_eq!(
            single_error(&edit(r#""kind": "review""#, r#""kind": "appeal""#)).0,
            "reviews[0].kind"
        );
        assert_eq!(
            single_error(&edit(r#""form": "electronic""#, r#""form": "scroll""#)).0,
            "request.form"
        );
        assert_eq!(
            single_error(&edit(
                r#""received_on": "2024-03-05""#,
                r#""received_on": "2024-02-30""#
            )),
            (
                "received_on".into(),
                "「2024-02-30」不是日历上存在的日期".into()
            )
        );
        assert_eq!(
            single_error(&edit(r#""email": null"#, r#""email": null, "wechat": "x""#)),
            ("applicant.wechat".into(), "未知字段「wechat」".into())
        );
        assert_eq!(
            single_error(&edit(
                r#", "event": "corrected""#,
                r#", "event": "corrected", "days": 3"#
            )),
            ("history[1].days".into(), "未知字段「days」".into())
        );
        assert_eq!(
            single_error(&edit(r#""agency": "遂宁市安居区人民政府", "#, "")),
            ("agency".into(), "缺少必填字段".into())
        );
        assert_eq!(
            single_error(&edit(r#", "days": 20"#, "")),
            ("history[4].days".into(), "缺少必填字段".into())
        );
        assert_eq!(
            single_error(&edit(
                r#""amount_yuan": "300.00""#,
                r#""amount_yuan": 300.0"#
            ))
            .0,
            "history[5].amount_yuan"
        );
        assert_eq!(
            single_error(&edit(r#""days": 20"#, r#""days": -1"#)),
            ("history[4].days".into(), "应为非负整数，实际为-1".into())
        );
        assert_eq!(
            single_error(&edit(r#""history": ["#, r#""history": [3, "#)).0,
            "history[0]"
        );
        assert_eq!(
            single_error("[1, 2]"),
            ("$".into(), "应为JSON对象，实际为数组".into())
        );
        // Several shape errors on one line are all reported.
        let all = errors(
            &edit(r#""channel": "online""#, r#""channel": 3"#)
                .replace(r#""delivery": "email""#, r#""delivery": "pigeon""#),
        );
        let fields: Vec<&str> = all.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["channel", "request.delivery"]);
    }

    #[test]
    fn value_errors_name_the_field() {
        assert_eq!(
            single_error(&edit(r#""ref": "AJ2024-00017""#, r#""ref": "  ""#)),
            ("ref".into(), "不能为空".into())
        );
        assert_eq!(
            single_error(&edit(r#""name": "王建华""#, r#""name": """#)).0,
            "applicant.name"
        );
        assert_eq!(
            single_error(&edit(
                r#""amount_yuan": "300.00""#,
                r#""amount_yuan": "3百""#
            )),
            (
                "history[5].amount_yuan".into(),
                "金额「3百」不是十进制数字".into()
            )
        );
        assert_eq!(
            single_error(&edit(
                r#""amount_yuan": "300.00""#,
                r#""amount_yuan": "300.001""#
            ))
            .0,
            "history[5].amount_yuan"
        );
        assert_eq!(
            single_error(&edit(r#""days": 20"#, r#""days": 21"#)),
            (
                "history[4].days".into(),
                "延期天数应为1至20个工作日，实际为21".into()
            )
        );
        assert_eq!(
            single_error(&edit(r#""days": 20"#, r#""days": 0"#)).0,
            "history[4].days"
        );
        assert_eq!(
            single_error(&edit(r#""on": "2024-03-07""#, r#""on": "2024-03-01""#)),
            (
                "history[0].on".into(),
                "日期2024-03-01早于收到申请之日2024-03-05".into()
            )
        );
        assert_eq!(
            single_error(&edit(r#""on": "2024-03-28""#, r#""on": "2024-03-19""#)).0,
            "history[3].on"
        );
        // The reply may not come before the last history event.
        assert_eq!(
            single_error(&edit(
                r#""replied_on": "2024-04-20""#,
                r#""replied_on": "2024-04-07""#
            )),
            (
                "outcome.replied_on".into(),
                "日期2024-04-07早于本案已登记的最后日期2024-04-08，办理过程应按时间顺序登记".into()
            )
        );
        assert_eq!(
            single_error(&edit(
                r#""filed_on": "2024-05-10""#,
                r#""filed_on": "2024-04-19""#
            )),
            (
                "reviews[0].filed_on".into(),
                "提起日期2024-04-19早于答复日期2024-04-20".into()
            )
        );
        assert_eq!(
            single_error(&edit(r#""result": "upheld""#, r#""result": "pending""#)),
            (
                "reviews[0].concluded_on".into(),
                "结果为「尚未审结」时审结日期应为null，实际为2024-07-01".into()
            )
        );
        assert_eq!(
            single_error(&edit(
                r#""concluded_on": "2024-07-01""#,
                r#""concluded_on": null"#
            ))
            .0,
            "reviews[0].concluded_on"
        );
        let pending = edit(
            r#""result": "upheld", "concluded_on": "2024-07-01""#,
            r#""result": "pending", "concluded_on": null"#,
        );
        assert!(parse_line(1, &pending).is_ok());
    }

    #[test]
    fn the_procedure_is_checked_by_replay() {
        // A reply while the third party has not answered.
        let (field, reason) = single_error(&edit(
            r#", {"on": "2024-03-28", "event": "third_party_replied"}"#,
            "",
        ));
        assert_eq!(field, "outcome");
        assert_eq!(
            reason,
            "已于2024-03-20向第三方征求意见，尚未回复，不能拟定答复意见"
        );
        // A reply while the fee is unpaid is only possible as fee_overdue.
        let unpaid = edit(r#", {"on": "2024-04-08", "event": "fee_paid"}"#, "");
        assert_eq!(single_error(&unpaid).0, "outcome.code");
        let abandoned = unpaid.replace("partially_disclosed", "other.fee_overdue");
        assert_eq!(
            parse_line(1, &abandoned)
                .unwrap()
                .0
                .replay()
                .unwrap()
                .stage(),
            Stage::Closed
        );
        // A second correction notice.
        let second = edit(
            r#"{"on": "2024-03-12", "event": "corrected"}"#,
            r#"{"on": "2024-03-12", "event": "corrected"}, {"on": "2024-03-13", "event": "correction_requested", "due_on": null}"#,
        );
        assert_eq!(
            single_error(&second),
            (
                "history[2].event".into(),
                "已于2024-03-07发出补正通知；补正应一次性告知，不能再次要求补正".into()
            )
        );
        // A fee paid that was never notified.
        let paid = edit(
            r#"{"on": "2024-04-02", "event": "fee_notified", "amount_yuan": "300.00"}, "#,
            "",
        );
        assert_eq!(
            single_error(&paid),
            ("history[5].event".into(), "没有待缴纳的信息处理费".into())
        );
        // Abandonment after an unanswered correction notice, once its deadline passed.
        let overdue = r#"{"ref": "X-1", "agency": "某局", "received_on": "2024-03-05", "channel": "mail", "applicant": {"type": "commercial_enterprise", "name": "某公司", "id_type": "unified_social_credit_code", "id_number": "91110000600037341L", "phone": null, "address": null, "email": null}, "request": {"description": "申请公开……", "form": "paper", "delivery": "mail"}, "history": [{"on": "2024-03-07", "event": "correction_requested", "due_on": "2024-03-28"}], "outcome": {"code": "other.correction_overdue", "replied_on": "2024-04-02"}, "reviews": []}"#;
        let (record, warnings) = parse_line(1, overdue).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(to_jsonl_line(&record), overdue);
        assert_eq!(
            record.replay().unwrap().outcome().unwrap().0,
            OutcomeCode::OtherCorrectionOverdue
        );
        let early = overdue.replace(
            r#""replied_on": "2024-04-02""#,
            r#""replied_on": "2024-03-20""#,
        );
        assert_eq!(single_error(&early).0, "outcome.replied_on");
        // A review of a case that has no reply.
        let open = edit(
            r#"{"code": "partially_disclosed", "replied_on": "2024-04-20"}"#,
            "null",
        );
        assert_eq!(
            single_error(&open),
            (
                "reviews[0].filed_on".into(),
                "案件尚未答复，不能有复议或诉讼".into()
            )
        );
    }

    #[test]
    fn reading_a_file_refuses_an_overlong_line_and_bad_utf8_by_number() {
        // Finding 10: a 50 MB line was read whole, and invalid UTF-8 failed the whole file.
        let mut file = Vec::new();
        file.extend_from_slice(EXAMPLE.as_bytes());
        file.push(b'\n');
        file.extend_from_slice(b"{\"ref\": \"");
        file.extend(std::iter::repeat_n(b'x', 3 * limits::RECORD_LINE_MAX_BYTES));
        file.extend_from_slice(b"\"}\n");
        file.extend_from_slice(b"{\"ref\": \"\xff\xfe\"}\r\n");
        let second = EXAMPLE.replace("\"ref\": \"", "\"ref\": \"B-");
        file.extend_from_slice(second.as_bytes());
        // A reader that hands out small chunks, as a file does, to check nothing is held whole.
        let reader = std::io::BufReader::with_capacity(4096, file.as_slice());
        let parsed = read_jsonl(reader).unwrap();
        assert_eq!(
            parsed.records.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            vec![1, 4]
        );
        let errors: Vec<(usize, &str)> = parsed
            .errors
            .iter()
            .map(|e| (e.line, e.reason.as_str()))
            .collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].0, 2);
        assert!(
            errors[0].1.contains("超过每行上限262144字节"),
            "{}",
            errors[0].1
        );
        assert_eq!(errors[1].0, 3);
        assert!(
            errors[1].1.contains("不是有效的UTF-8编码"),
            "{}",
            errors[1].1
        );
        // The text reader says the same about the overlong line.
        let text = String::from_utf8_lossy(&file).replace('\u{fffd}', "?");
        let from_text = parse_jsonl(&text);
        assert_eq!(from_text.records.len(), 2);
        assert!(
            from_text
                .errors
                .iter()
                .any(|e| e.line == 2 && e.reason.contains("超过每行上限"))
        );
    }

    #[test]
    fn hostile_text_in_a_record_is_refused_by_field() {
        for (field, from, to) in [
            ("applicant.name", "\"name\": \"", "\"name\": \"\\u001b[2J"),
            ("applicant.name", "\"name\": \"", "\"name\": \"\\u202e"),
            (
                "received_on",
                "\"received_on\": \"2024-",
                "\"received_on\": \" 2024-",
            ),
        ] {
            let line = EXAMPLE.replacen(from, to, 1);
            assert_ne!(line, EXAMPLE, "{from}");
            let errors = parse_line(1, &line).unwrap_err();
            assert!(
                errors.iter().any(|e| e.field == field),
                "{field}: {errors:?}"
            );
        }
        let long_ref = EXAMPLE.replacen(
            "\"ref\": \"",
            &format!("\"ref\": \"{}", "x".repeat(10_000)),
            1,
        );
        let errors = parse_line(1, &long_ref).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.field == "ref" && e.reason.contains("最多64个字符")),
            "{errors:?}"
        );
    }

    #[test]
    fn replay_errors_point_at_the_record_field() {
        let (mut record, _) = parse_line(1, EXAMPLE).unwrap();
        record.history[5].event = HistoryEvent::FeeNotified {
            amount_yuan: "abc".into(),
        };
        let err = record.replay().unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.error.code()),
            ("history[5].amount_yuan", "invalid_fee_amount")
        );
        record.history.swap(2, 3);
        let err = record.replay().unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.error.code()),
            ("history[2].event", "no_open_consultation")
        );
        assert_eq!(
            err.to_string(),
            "history[2].event：没有向第三方征求且尚未回复的意见"
        );
    }

    #[test]
    fn history_read_back_from_the_case_equals_the_record() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/anju-2024/cases.jsonl");
        let parsed = parse_jsonl(&std::fs::read_to_string(path).unwrap());
        let mut with_history = 0;
        for (_, record) in &parsed.records {
            let case = record.replay().unwrap();
            let mut expected = record.history.clone();
            for h in &mut expected {
                if let HistoryEvent::FeeNotified { amount_yuan } = &mut h.event {
                    *amount_yuan =
                        crate::fees::format_yuan(crate::fees::parse_yuan(amount_yuan).unwrap());
                }
            }
            let mut got = history_of(&case);
            let key = |h: &HistoryEntry| serde_json::to_string(h).unwrap();
            expected.sort_by_key(key);
            got.sort_by_key(key);
            assert_eq!(got, expected, "{}", record.reference);
            with_history += usize::from(!record.history.is_empty());
        }
        assert!(with_history > 10, "the fixture exercises histories");
    }
}
