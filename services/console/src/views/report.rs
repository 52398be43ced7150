//! 年度报告 for the disclosure office (and readers of reports): the year's tables as the
//! reporting service renders them, the 勾稽关系 results, table 二 entry (blank cells keep what
//! the catalogue counted or was entered before), sections 五 and 六, the lock, and the
//! downloads (HTML, .docx, .xlsx), all through the reporting service with the user's token.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use ogi_core::access::Permission;
use ogi_proto::v1 as pb;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Header;
use super::inbox::denied;
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

/// Readers of reports (report.read): signers, the office, viewers.
pub fn may_read(signed_in: &SignedIn) -> bool {
    super::holds(signed_in, Permission::ReportRead)
}

/// The office, which enters table 二 and the text and locks the report.
fn may_enter(signed_in: &SignedIn) -> bool {
    super::holds(signed_in, Permission::ReportEnter)
}

const NOT_A_READER: &str = "年度报告供政务公开办、签批领导和只读用户查看，您的角色无权查看。";
const NOT_THE_OFFICE: &str = "年度报告的录入和锁定由政务公开办负责，您的角色无权修改。";

/// Table 二's cells the office enters: (form field, label, JSON path).
pub const TABLE_TWO: [(&str, &str, &str, &str); 10] = [
    ("rules_issued", "规章 本年制发件数", "rules", "issued"),
    ("rules_repealed", "规章 本年废止件数", "rules", "repealed"),
    ("rules_in_force", "规章 现行有效件数", "rules", "in_force"),
    (
        "normative_issued",
        "规范性文件 本年制发件数",
        "normative_documents",
        "issued",
    ),
    (
        "normative_repealed",
        "规范性文件 本年废止件数",
        "normative_documents",
        "repealed",
    ),
    (
        "normative_in_force",
        "规范性文件 现行有效件数",
        "normative_documents",
        "in_force",
    ),
    ("licensing", "行政许可（件）", "licensing_decisions", ""),
    ("penalty", "行政处罚（件）", "penalty_decisions", ""),
    ("enforcement", "行政强制（件）", "enforcement_decisions", ""),
    ("fees", "行政事业性收费（万元）", "fees_10k_yuan", ""),
];

pub struct Check {
    pub severity: String,
    pub message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub header: Header,
    pub year: i32,
    pub agency: String,
    /// The tables and text, as the reporting service renders the published page.
    pub report_html: String,
    pub checks: Vec<Check>,
    pub differences: Vec<String>,
    pub locked: bool,
    pub may_enter: bool,
    pub table_two: Vec<(&'static str, &'static str)>,
    /// The text the office entered before, in its form.
    pub narrative: pb::EnteredNarrative,
    pub done: String,
    pub error: String,
}

#[derive(Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    done: String,
}

/// Last year: the report an office works on in January.
fn default_year() -> i32 {
    super::today_in_china().year() - 1
}

fn parse_year(text: &str) -> Option<i32> {
    text.trim()
        .parse()
        .ok()
        .filter(|y| (2008..=2100).contains(y))
}

/// The sections of the rendered page (from 一、总体情况 to the end of `<div class="page">`),
/// without its document head and the title this page prints itself.
pub fn page_body(html: &str) -> &str {
    let Some(start) = html.find("<h2>") else {
        return "";
    };
    let end = html[start..]
        .rfind("</div>")
        .map_or(html.len(), |i| start + i);
    &html[start..end]
}

pub async fn page(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Query(query): Query<ReportQuery>,
) -> Response {
    if !may_read(&signed_in) {
        return denied(&signed_in, "年度报告", NOT_A_READER);
    }
    let (year, error) = match query.year.as_str() {
        "" => (default_year(), String::new()),
        text => match parse_year(text) {
            Some(y) => (y, String::new()),
            None => (default_year(), "年度应为2008年以后的四位年份。".to_string()),
        },
    };
    let done = match query.done.as_str() {
        "table2" => "已保存表二。",
        "narrative" => "已保存第五、六部分。",
        "lock" => "已锁定报告：此后案件的变动只作为差异列出。",
        _ => "",
    };
    render(&signed_in, &state, year, done, error).await
}

async fn render(
    signed_in: &SignedIn,
    state: &AppState,
    year: i32,
    done: &str,
    error: String,
) -> Response {
    let agency = signed_in.user.agency.clone();
    let mut page = ReportPage {
        header: Header::of(signed_in),
        year,
        agency: agency.clone(),
        report_html: String::new(),
        checks: Vec::new(),
        differences: Vec::new(),
        locked: false,
        may_enter: may_enter(signed_in),
        table_two: TABLE_TWO.iter().map(|(f, l, _, _)| (*f, *l)).collect(),
        narrative: pb::EnteredNarrative::default(),
        done: done.to_string(),
        error,
    };
    let answer = state
        .services
        .reporting
        .clone()
        .get_annual_report(as_user(
            &signed_in.token,
            pb::GetAnnualReportRequest {
                agencies: vec![agency],
                year,
                format: "html".to_string(),
                ..Default::default()
            },
        ))
        .await;
    match answer {
        Ok(r) => {
            let r = r.into_inner();
            page.report_html = page_body(&r.body).to_string();
            page.locked = r.locked;
            page.narrative = r.entered_narrative.unwrap_or_default();
            page.differences = r.differences;
            let json: Value = serde_json::from_str(&r.json).unwrap_or(Value::Null);
            page.checks = json["checks"]
                .as_array()
                .map(|checks| {
                    checks
                        .iter()
                        .map(|c| Check {
                            severity: match c["severity"].as_str() {
                                Some("warning") => "提示".to_string(),
                                _ => "不符".to_string(),
                            },
                            message: c["message"].as_str().unwrap_or_default().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
        }
        Err(status) => {
            let code = if status.code() == tonic::Code::PermissionDenied {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::OK
            };
            page.error = match page.error.as_str() {
                "" => explain(&status),
                first => format!("{first}{}", explain(&status)),
            };
            return (code, page).into_response();
        }
    }
    page.into_response()
}

/// Table 二's form: every field optional; a blank one keeps what is there.
pub type TableTwoForm = std::collections::HashMap<String, String>;

/// `POST /report/{year}/table-two`
pub async fn enter_table_two(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(year): Path<String>,
    Form(form): Form<TableTwoForm>,
) -> Response {
    if !may_enter(&signed_in) {
        return denied(&signed_in, "年度报告", NOT_THE_OFFICE);
    }
    let Some(year) = parse_year(&year) else {
        return (StatusCode::NOT_FOUND, "没有这个年度").into_response();
    };
    let agency = signed_in.user.agency.clone();
    let mut entry = json!({ "agency": agency, "year": year });
    for (field, label, key, sub) in TABLE_TWO {
        let text = form.get(field).map(|v| v.trim()).unwrap_or_default();
        if text.is_empty() {
            continue;
        }
        let value = if field == "fees" {
            Value::String(text.to_string())
        } else {
            match text.parse::<u64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    let error = format!("{label}应为不小于0的整数，收到「{text}」。");
                    return render(&signed_in, &state, year, "", error).await;
                }
            }
        };
        if sub.is_empty() {
            entry[key] = value;
        } else {
            if !entry[key].is_object() {
                entry[key] = json!({});
            }
            entry[key][sub] = value;
        }
    }
    let answer = state
        .services
        .reporting
        .clone()
        .set_active_disclosure(as_user(
            &signed_in.token,
            pb::SetActiveDisclosureRequest {
                json: entry.to_string(),
                merge: true,
            },
        ))
        .await;
    match answer {
        Ok(_) => Redirect::to(&format!("/report?year={year}&done=table2")).into_response(),
        Err(status) => {
            let error = format!("表二未保存：{}", explain(&status));
            render(&signed_in, &state, year, "", error).await
        }
    }
}

#[derive(Deserialize)]
pub struct NarrativeForm {
    #[serde(default)]
    section_one_extra: String,
    #[serde(default)]
    section_five: String,
    #[serde(default)]
    section_six: String,
}

/// `POST /report/{year}/narrative`
pub async fn enter_narrative(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(year): Path<String>,
    Form(form): Form<NarrativeForm>,
) -> Response {
    if !may_enter(&signed_in) {
        return denied(&signed_in, "年度报告", NOT_THE_OFFICE);
    }
    let Some(year) = parse_year(&year) else {
        return (StatusCode::NOT_FOUND, "没有这个年度").into_response();
    };
    let answer = state
        .services
        .reporting
        .clone()
        .set_narrative(as_user(
            &signed_in.token,
            pb::SetNarrativeRequest {
                agency: signed_in.user.agency.clone(),
                year,
                section_one_extra: form.section_one_extra.trim().to_string(),
                section_five: form.section_five.trim().to_string(),
                section_six: form.section_six.trim().to_string(),
            },
        ))
        .await;
    match answer {
        Ok(_) => Redirect::to(&format!("/report?year={year}&done=narrative")).into_response(),
        Err(status) => {
            let error = format!("第五、六部分未保存：{}", explain(&status));
            render(&signed_in, &state, year, "", error).await
        }
    }
}

/// `POST /report/{year}/lock`
pub async fn lock(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> Response {
    if !may_enter(&signed_in) {
        return denied(&signed_in, "年度报告", NOT_THE_OFFICE);
    }
    let Some(year) = parse_year(&year) else {
        return (StatusCode::NOT_FOUND, "没有这个年度").into_response();
    };
    let answer = state
        .services
        .reporting
        .clone()
        .lock_report(as_user(
            &signed_in.token,
            pb::LockReportRequest {
                agency: signed_in.user.agency.clone(),
                year,
            },
        ))
        .await;
    match answer {
        Ok(_) => Redirect::to(&format!("/report?year={year}&done=lock")).into_response(),
        Err(status) => {
            let error = format!("未锁定：{}", explain(&status));
            render(&signed_in, &state, year, "", error).await
        }
    }
}

/// `GET /report/{year}/download/{format}`: the report as a file (html, docx, xlsx).
pub async fn download(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path((year, format)): Path<(String, String)>,
) -> Response {
    if !may_read(&signed_in) {
        return denied(&signed_in, "年度报告", NOT_A_READER);
    }
    let Some(year) = parse_year(&year) else {
        return (StatusCode::NOT_FOUND, "没有这个年度").into_response();
    };
    let content_type = match format.as_str() {
        "html" => "text/html; charset=utf-8",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => return (StatusCode::NOT_FOUND, "没有这种格式").into_response(),
    };
    let agency = signed_in.user.agency.clone();
    let answer = state
        .services
        .reporting
        .clone()
        .get_annual_report(as_user(
            &signed_in.token,
            pb::GetAnnualReportRequest {
                agencies: vec![agency.clone()],
                year,
                format: format.clone(),
                ..Default::default()
            },
        ))
        .await;
    let report = match answer {
        Ok(r) => r.into_inner(),
        Err(status) => return render(&signed_in, &state, year, "", explain(&status)).await,
    };
    let body = if format == "html" {
        report.body.into_bytes()
    } else {
        report.document
    };
    let name = format!("{agency}{year}年政府信息公开工作年度报告.{format}");
    let disposition = format!(
        "attachment; filename=\"ogi-report-{year}.{format}\"; filename*=UTF-8''{}",
        super::percent_encode(&name)
    );
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
