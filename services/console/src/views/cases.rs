//! 案件列表: the agency's cases, searched by reference, receipt number, applicant or request
//! text (搜索) and filtered by stage, handler, received dates, outcome and due state, paged on
//! the server with the true total (approval's `ListCases` answers from one indexed table).
//! htmx swaps the table as the user types; without JavaScript the form submits and the whole
//! page comes back. The filtered list downloads as .xlsx; 分办/改派 gives the ticked cases to a
//! handler.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ogi_core::access::{Permission, Role};
use ogi_proto::v1 as pb;
use serde::Deserialize;

use super::{Header, outcome_label, stage_label, today_in_china};
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

pub const PAGE_SIZE: u32 = 50;
/// The longest search text the form takes.
pub const MAX_QUERY_CHARS: usize = 100;
/// Working days within which an open case counts as due soon (即将到期).
pub const DUE_SOON_DAYS: u32 = 3;
/// The most rows an export holds; a larger list is refused with the reason, never cut.
pub const MAX_EXPORT_ROWS: u64 = 20_000;
/// Rows fetched per call while exporting.
const EXPORT_BATCH: u32 = 500;

/// The list's filters as the URL carries them (every link to a filtered list is one).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CasesQuery {
    pub q: String,
    pub stage: String,
    pub handler: String,
    pub from: String,
    pub to: String,
    pub outcome: String,
    /// `soon` (即将到期) or `overdue` (已逾期).
    pub due: String,
    /// `1`: cases in consultation (征求意见中).
    pub consulting: String,
    /// `1`: the agency and its subordinates (督办).
    pub all: String,
    /// `asc`: oldest first; otherwise newest first.
    pub sort: String,
    /// From 1.
    pub page: String,
    /// After 分办/改派: how many cases were given, and to whom.
    pub assigned: String,
    pub assignee: String,
}

impl CasesQuery {
    /// The query string of these filters (without the page), for links and the export.
    pub fn to_query(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("stage", &self.stage),
            ("handler", &self.handler),
            ("from", &self.from),
            ("to", &self.to),
            ("outcome", &self.outcome),
            ("due", &self.due),
            ("consulting", &self.consulting),
            ("all", &self.all),
            ("sort", &self.sort),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn page_number(&self) -> Result<u32, String> {
        if self.page.is_empty() {
            return Ok(1);
        }
        match self.page.parse::<u32>() {
            Ok(n) if (1..=100_000).contains(&n) => Ok(n),
            _ => Err("页码应为正整数".to_string()),
        }
    }

    /// The request to approval for one page; the first problem in the filters, in Chinese.
    fn request(
        &self,
        signed_in: &SignedIn,
        page_size: u32,
        offset: u32,
    ) -> Result<pb::ListCasesRequest, String> {
        let today = today_in_china().to_string();
        let date = |label: &str, text: &str| -> Result<String, String> {
            if text.is_empty() || chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() {
                Ok(text.to_string())
            } else {
                Err(format!("{label}应为日期（YYYY-MM-DD）"))
            }
        };
        if !self.stage.is_empty() && stage_label(&self.stage) == "未知环节" {
            return Err("请选择列表中的环节".to_string());
        }
        if !self.outcome.is_empty() && outcome_label(&self.outcome) == "其他" {
            return Err("请选择列表中的答复类型".to_string());
        }
        if self.handler.chars().count() > 64 {
            return Err("承办人不得超过 64 个字".to_string());
        }
        let from = date("收到日期（自）", &self.from)?;
        let to = date("收到日期（至）", &self.to)?;
        if !from.is_empty() && !to.is_empty() && from > to {
            return Err("收到日期的起始日不能晚于截止日".to_string());
        }
        let mut request = pb::ListCasesRequest {
            agency: signed_in.user.agency.clone(),
            query: self.q.trim().chars().take(MAX_QUERY_CHARS).collect(),
            stage: self.stage.clone(),
            outcome_code: self.outcome.clone(),
            handler: self.handler.trim().to_string(),
            received_from: from,
            received_to: to,
            page_size,
            offset,
            newest_first: self.sort != "asc",
            consulting: self.consulting == "1",
            subordinates: self.all == "1",
            today: today.clone(),
            ..Default::default()
        };
        match self.due.as_str() {
            "" => {}
            "soon" => {
                request.due_soon_on = today;
                request.due_soon_days = DUE_SOON_DAYS;
            }
            "overdue" => request.overdue_on = today,
            _ => return Err("请选择列表中的期限状态".to_string()),
        }
        Ok(request)
    }
}

/// Percent-encode a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An applicant's name as lists show it: the first character, the rest masked, and for long
/// names (organisations) the last two characters too.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 | 1 => name.to_string(),
        n if n <= 4 => {
            let mut s: String = chars[..1].iter().collect();
            s.push_str(&"*".repeat(n - 1));
            s
        }
        n => {
            let mut s: String = chars[..1].iter().collect();
            s.push_str(&"*".repeat(n - 3));
            s.extend(&chars[n - 2..]);
            s
        }
    }
}

/// How a row's due state reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueMark {
    None,
    Soon,
    Late,
}

pub struct CaseRow {
    pub case_id: String,
    pub reference: String,
    pub receipt_number: String,
    pub applicant: String,
    pub summary: String,
    pub stage: String,
    pub handler: String,
    pub received_on: String,
    pub due_on: String,
    pub provisional: bool,
    pub left: String,
    pub mark: DueMark,
}

impl CaseRow {
    pub fn late(&self) -> bool {
        self.mark == DueMark::Late
    }
    pub fn soon(&self) -> bool {
        self.mark == DueMark::Soon
    }
}

fn row(c: pb::CaseSummary) -> CaseRow {
    let (left, mark) = match c.working_days_left {
        Some(n) if n < 0 => (format!("逾期 {} 个工作日", -n), DueMark::Late),
        Some(n) if n <= i64::from(DUE_SOON_DAYS) => (n.to_string(), DueMark::Soon),
        Some(n) => (n.to_string(), DueMark::None),
        None if c.stage == "closed" => (
            if c.overdue {
                "逾期答复".to_string()
            } else {
                "按期答复".to_string()
            },
            if c.overdue {
                DueMark::Late
            } else {
                DueMark::None
            },
        ),
        None if c.consulting => ("征求意见中（暂停计算）".to_string(), DueMark::None),
        None => ("—".to_string(), DueMark::None),
    };
    CaseRow {
        reference: if c.reference.is_empty() {
            c.case_id.clone()
        } else {
            c.reference
        },
        case_id: c.case_id,
        receipt_number: c.receipt_number,
        applicant: mask_name(&c.applicant_name),
        summary: super::summary(&c.request_summary, 40),
        stage: if c.consulting && c.stage != "closed" {
            "征求意见中".to_string()
        } else {
            stage_label(&c.stage)
        },
        handler: if c.handler.is_empty() {
            "未分办".to_string()
        } else {
            c.handler
        },
        received_on: c.received_on,
        due_on: c.due_on,
        provisional: c.provisional,
        left,
        mark,
    }
}

/// A choice of a filter's list.
pub struct Choice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

fn choices(options: &[(&str, String)], current: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(code, label)| Choice {
            code: code.to_string(),
            label: label.clone(),
            selected: *code == current,
        })
        .collect()
}

pub struct CaseTable {
    pub rows: Vec<CaseRow>,
    pub total: u64,
    pub page: u32,
    pub pages: u64,
    /// The filters as a query string (no page).
    pub filters: String,
    pub error: String,
    /// Rows can be ticked for 分办/改派.
    pub can_assign: bool,
    pub notice: String,
}

impl CaseTable {
    pub fn first(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            u64::from(self.page - 1) * u64::from(PAGE_SIZE) + 1
        }
    }
    pub fn last(&self) -> u64 {
        (u64::from(self.page) * u64::from(PAGE_SIZE)).min(self.total)
    }
    pub fn has_previous(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        u64::from(self.page) < self.pages
    }
    pub fn previous(&self) -> u32 {
        self.page.saturating_sub(1)
    }
    pub fn next(&self) -> u32 {
        self.page + 1
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
pub struct CasesPage {
    pub header: Header,
    pub query: CasesQuery,
    pub stages: Vec<Choice>,
    pub outcomes: Vec<Choice>,
    pub dues: Vec<Choice>,
    pub table: CaseTable,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases_partial.html")]
pub struct CasesPartial {
    pub table: CaseTable,
}

fn may_assign(signed_in: &SignedIn) -> bool {
    signed_in.user.roles.iter().any(|r| {
        r.parse::<Role>()
            .is_ok_and(|role| role.grants(Permission::CaseAssign))
    })
}

async fn table(state: &AppState, signed_in: &SignedIn, query: &CasesQuery) -> CaseTable {
    let mut table = CaseTable {
        rows: Vec::new(),
        total: 0,
        page: 1,
        pages: 0,
        filters: query.to_query(),
        error: String::new(),
        can_assign: may_assign(signed_in),
        notice: String::new(),
    };
    let request = query.page_number().and_then(|page| {
        table.page = page;
        query.request(signed_in, PAGE_SIZE, (page - 1).saturating_mul(PAGE_SIZE))
    });
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            table.error = e;
            return table;
        }
    };
    let mut approval = state.services.approval.clone();
    match approval
        .list_cases(as_user(&signed_in.token, request))
        .await
    {
        Ok(r) => {
            let r = r.into_inner();
            table.total = r.total;
            table.pages = r.total.div_ceil(u64::from(PAGE_SIZE));
            table.rows = r.cases.into_iter().map(row).collect();
        }
        Err(status) => table.error = explain(&status),
    }
    table
}

pub async fn list(
    signed_in: SignedIn,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CasesQuery>,
) -> Response {
    let mut table = table(&state, &signed_in, &query).await;
    if let Ok(n) = query.assigned.parse::<u32>() {
        table.notice = format!("已将 {n} 件案件交由 {} 承办。", query.assignee);
    }
    if headers.contains_key("HX-Request") {
        return CasesPartial { table }.into_response();
    }
    page(&signed_in, query, table).into_response()
}

fn page(signed_in: &SignedIn, query: CasesQuery, table: CaseTable) -> CasesPage {
    let stages: Vec<(&str, String)> = std::iter::once(("", "全部环节".to_string()))
        .chain(
            [
                "received",
                "awaiting_correction",
                "in_progress",
                "drafted",
                "approved",
                "closed",
            ]
            .into_iter()
            .map(|c| (c, stage_label(c))),
        )
        .collect();
    let outcomes: Vec<(&str, String)> = std::iter::once(("", "全部答复类型".to_string()))
        .chain(
            ogi_core::codes::OutcomeCode::ALL
                .iter()
                .map(|o| (o.code(), o.short_label().to_string())),
        )
        .collect();
    let dues = [
        ("", "全部".to_string()),
        ("soon", format!("即将到期（{DUE_SOON_DAYS}个工作日内）")),
        ("overdue", "已逾期".to_string()),
    ];
    CasesPage {
        header: Header::of(signed_in),
        stages: choices(&stages, &query.stage),
        outcomes: choices(&outcomes, &query.outcome),
        dues: choices(&dues, &query.due),
        query,
        table,
    }
}

/// The columns of the list and of its export.
const COLUMNS: [(&str, f64); 9] = [
    ("编号", 16.0),
    ("回执编号", 14.0),
    ("申请人", 8.0),
    ("内容摘要", 30.0),
    ("当前环节", 8.0),
    ("承办人", 8.0),
    ("收到日期", 10.0),
    ("答复期限", 10.0),
    ("剩余工作日", 10.0),
];

/// The filtered list as .xlsx, every row (up to [`MAX_EXPORT_ROWS`]).
pub async fn export(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Query(query): Query<CasesQuery>,
) -> Response {
    let refuse = |status: StatusCode, text: String| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text,
        )
            .into_response()
    };
    let mut rows = Vec::new();
    let mut approval = state.services.approval.clone();
    loop {
        let offset = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        let request = match query.request(&signed_in, EXPORT_BATCH, offset) {
            Ok(r) => r,
            Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
        };
        let r = match approval
            .list_cases(as_user(&signed_in.token, request))
            .await
        {
            Ok(r) => r.into_inner(),
            Err(status) => return refuse(StatusCode::BAD_GATEWAY, explain(&status)),
        };
        if r.total > MAX_EXPORT_ROWS {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "符合条件的案件共 {} 件，超过一次导出的上限 {MAX_EXPORT_ROWS} 件，请缩小筛选范围后再导出。",
                    r.total
                ),
            );
        }
        let got = r.cases.len();
        rows.extend(r.cases.into_iter().map(row));
        if got == 0 || rows.len() as u64 >= r.total {
            break;
        }
    }
    let cells: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            let due = if r.provisional && !r.due_on.is_empty() {
                format!("{}（暂定）", r.due_on)
            } else {
                r.due_on
            };
            vec![
                r.reference,
                r.receipt_number,
                r.applicant,
                r.summary,
                r.stage,
                r.handler,
                r.received_on,
                due,
                r.left,
            ]
        })
        .collect();
    let title = format!(
        "{} 案件列表（{} 导出，共 {} 件）",
        signed_in.user.agency,
        today_in_china(),
        cells.len()
    );
    match ogi_core::report::list_to_xlsx(&title, &COLUMNS, &cells) {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"cases.xlsx\""),
            );
            response
        }
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// 分办/改派: the ticked rows (`case_id`, repeated) to the handler named; back to the same
/// list (post, redirect, get) with what was done, or the list with the reason.
pub async fn assign(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let value = |key: &str| {
        form.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let case_ids: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "case_id")
        .map(|(_, v)| v.clone())
        .collect();
    let handler = value("assignee");
    // The list the form was on, by its filters.
    let back = filters_of(&value("back")).unwrap_or_default();
    let show = |error: String, notice: String| {
        let state = state.clone();
        let back = back.clone();
        let signed_in = &signed_in;
        async move {
            let mut table = table(&state, signed_in, &back).await;
            table.error = error;
            table.notice = notice;
            (StatusCode::OK, page(signed_in, back, table)).into_response()
        }
    };
    if !may_assign(&signed_in) {
        let mut refused = show("您没有分办、改派案件的权限。".to_string(), String::new()).await;
        *refused.status_mut() = StatusCode::FORBIDDEN;
        return refused;
    }
    if case_ids.is_empty() {
        return show("请先勾选要分办或改派的案件。".to_string(), String::new()).await;
    }
    if handler.is_empty() {
        return show("请填写承办人的用户名。".to_string(), String::new()).await;
    }
    if handler.chars().count() > 64 || handler.chars().any(char::is_whitespace) {
        return show(
            "承办人的用户名不得含空格，且不超过 64 个字。".to_string(),
            String::new(),
        )
        .await;
    }
    let mut approval = state.services.approval.clone();
    match approval
        .assign_cases(as_user(
            &signed_in.token,
            pb::AssignCasesRequest {
                context: Some(pb::CommandContext {
                    actor: signed_in.user.username.clone(),
                    on: today_in_china().to_string(),
                    command_id: String::new(),
                }),
                case_ids: case_ids.clone(),
                handler: handler.clone(),
            },
        ))
        .await
    {
        Ok(r) => {
            let n = r.into_inner().assigned.len();
            let query = back.to_query();
            let sep = if query.is_empty() { "" } else { "&" };
            Redirect::to(&format!(
                "/cases?{query}{sep}assigned={n}&assignee={}",
                encode(&handler)
            ))
            .into_response()
        }
        Err(status) => show(explain(&status), String::new()).await,
    }
}

/// The filters of a list from its query string.
fn filters_of(text: &str) -> Option<CasesQuery> {
    let text = text.strip_prefix('?').unwrap_or(text);
    axum::extract::Query::<CasesQuery>::try_from_uri(&format!("/cases?{text}").parse().ok()?)
        .ok()
        .map(|q| q.0)
}
