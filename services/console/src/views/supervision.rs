//! 督办 for the disclosure office (政务公开办): across its agency and the agencies below it —
//! the overdue and nearly overdue cases, the backlog by stage, working days to reply (median
//! and 90th percentile) and the on-time share by month over the last twelve months, with
//! charts drawn on the server.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use ogi_proto::v1 as pb;

use super::Header;
use super::cases::DUE_SOON_DAYS;
use super::charts::{Bar, Group, grouped_columns, horizontal_bars};
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

/// Cases listed under each heading (the full lists are one click away).
pub const SHOWN: u32 = 20;
/// Months the reply figures cover, the current one included.
pub const MONTHS: u32 = 12;

const ACCENT: &str = "#a4262c";
const SOON: &str = "#b36b00";
const CALM: &str = "#3c6e9f";
const GREEN: &str = "#1f7a3a";

pub struct DueRow {
    pub case_id: String,
    pub reference: String,
    pub agency: String,
    pub stage: String,
    pub handler: String,
    pub due_on: String,
    pub left: i64,
}

pub struct MonthRow {
    pub month: String,
    pub replied: u64,
    pub on_time: u64,
    pub share: String,
    pub median: String,
    pub p90: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "supervision.html")]
pub struct SupervisionPage {
    pub header: Header,
    pub today: String,
    pub from: String,
    pub error: String,
    pub open: u64,
    pub backlog_chart: String,
    pub overdue: Vec<DueRow>,
    pub overdue_total: u64,
    pub due_soon: Vec<DueRow>,
    pub due_soon_total: u64,
    pub replied: u64,
    pub on_time_share: String,
    pub median: String,
    pub p90: String,
    pub months: Vec<MonthRow>,
    pub share_chart: String,
    pub days_chart: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "forbidden.html")]
pub struct Forbidden {
    pub header: Header,
    pub title: &'static str,
    pub message: &'static str,
}

/// A page a role may not open: 403 with the reason.
pub fn forbidden(signed_in: &SignedIn, title: &'static str, message: &'static str) -> Response {
    (
        StatusCode::FORBIDDEN,
        Forbidden {
            header: Header::of(signed_in),
            title,
            message,
        },
    )
        .into_response()
}

fn rows(cases: Vec<pb::CaseSummary>) -> Vec<DueRow> {
    cases
        .into_iter()
        .map(|c| DueRow {
            reference: if c.reference.is_empty() {
                c.case_id.clone()
            } else {
                c.reference
            },
            case_id: c.case_id,
            agency: c.agency,
            stage: super::stage_label(&c.stage),
            handler: if c.handler.is_empty() {
                "未分办".into()
            } else {
                c.handler
            },
            due_on: c.due_on,
            left: c.working_days_left.unwrap_or_default(),
        })
        .collect()
}

fn share(on_time: u64, replied: u64) -> String {
    if replied == 0 {
        "—".into()
    } else {
        format!("{:.1}%", on_time as f64 * 100.0 / replied as f64)
    }
}

fn days(value: f64, replied: u64) -> String {
    if replied == 0 {
        "—".into()
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The first day of the month `months - 1` months before `today`'s.
pub fn first_month(today: NaiveDate, months: u32) -> NaiveDate {
    let index = today.year() * 12 + today.month0() as i32 - (months as i32 - 1);
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(today)
}

/// The twelve months as "YYYY-MM", oldest first.
fn month_labels(from: NaiveDate, months: u32) -> Vec<String> {
    (0..months)
        .map(|i| {
            let index = from.year() * 12 + from.month0() as i32 + i as i32;
            format!("{}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
        })
        .collect()
}

pub async fn page(signed_in: SignedIn, State(state): State<AppState>) -> Response {
    if !signed_in.user.roles.iter().any(|r| r == "office") {
        return forbidden(
            &signed_in,
            "督办",
            "督办页面仅供政务公开办使用；您的角色没有督办权限。",
        );
    }
    let today = super::today_in_china();
    let from = first_month(today, MONTHS);
    let agency = signed_in.user.agency.clone();
    let mut page = SupervisionPage {
        header: Header::of(&signed_in),
        today: today.to_string(),
        from: from.to_string(),
        error: String::new(),
        open: 0,
        backlog_chart: String::new(),
        overdue: Vec::new(),
        overdue_total: 0,
        due_soon: Vec::new(),
        due_soon_total: 0,
        replied: 0,
        on_time_share: "—".into(),
        median: "—".into(),
        p90: "—".into(),
        months: Vec::new(),
        share_chart: String::new(),
        days_chart: String::new(),
    };
    let mut approval = state.services.approval.clone();
    let token = &signed_in.token;
    let counts = match approval
        .count_cases(as_user(
            token,
            pb::CountCasesRequest {
                agency: agency.clone(),
                today: today.to_string(),
                due_soon_days: DUE_SOON_DAYS,
                subordinates: true,
            },
        ))
        .await
    {
        Ok(c) => c.into_inner(),
        Err(status) => {
            page.error = explain(&status);
            return page.into_response();
        }
    };
    page.open = counts.open;
    let bar = |label: &str, value: u64, colour| Bar {
        label: label.into(),
        value: value as f64,
        text: value.to_string(),
        colour,
    };
    page.backlog_chart = horizontal_bars(
        "未办结案件按环节",
        &[
            bar("待受理", counts.received, CALM),
            bar("补正中", counts.awaiting_correction, CALM),
            bar("办理中", counts.in_progress, CALM),
            bar("其中征求意见中", counts.consulting, CALM),
            bar("待审批", counts.drafted, CALM),
            bar("已审批待送达", counts.approved, CALM),
            bar("即将到期", counts.due_soon, SOON),
            bar("已逾期", counts.overdue, ACCENT),
        ],
    );
    for overdue in [true, false] {
        let mut request = pb::ListCasesRequest {
            agency: agency.clone(),
            subordinates: true,
            page_size: SHOWN,
            by_due_date: true,
            today: today.to_string(),
            ..Default::default()
        };
        if overdue {
            request.overdue_on = today.to_string();
        } else {
            request.due_soon_on = today.to_string();
            request.due_soon_days = DUE_SOON_DAYS;
        }
        match approval.list_cases(as_user(token, request)).await {
            Ok(r) => {
                let r = r.into_inner();
                if overdue {
                    page.overdue = rows(r.cases);
                    page.overdue_total = r.total;
                } else {
                    page.due_soon = rows(r.cases);
                    page.due_soon_total = r.total;
                }
            }
            Err(status) => page.error = explain(&status),
        }
    }
    match approval
        .reply_stats(as_user(
            token,
            pb::ReplyStatsRequest {
                agency: agency.clone(),
                subordinates: true,
                replied_from: from.to_string(),
                replied_to: today.to_string(),
            },
        ))
        .await
    {
        Ok(r) => {
            let r = r.into_inner();
            page.replied = r.replied;
            page.on_time_share = share(r.on_time, r.replied);
            page.median = days(r.median_days, r.replied);
            page.p90 = days(r.p90_days, r.replied);
            let by_month: std::collections::HashMap<String, pb::ReplyMonth> =
                r.months.into_iter().map(|m| (m.month.clone(), m)).collect();
            let mut share_groups = Vec::new();
            let mut day_groups = Vec::new();
            for label in month_labels(from, MONTHS) {
                let m = by_month.get(&label).cloned().unwrap_or(pb::ReplyMonth {
                    month: label.clone(),
                    ..Default::default()
                });
                let pct = if m.replied == 0 {
                    0.0
                } else {
                    m.on_time as f64 * 100.0 / m.replied as f64
                };
                let short = label[2..].to_string();
                share_groups.push(Group {
                    label: short.clone(),
                    bars: vec![Bar {
                        label: String::new(),
                        value: pct,
                        text: if m.replied == 0 {
                            "—".into()
                        } else {
                            format!("{pct:.0}%")
                        },
                        colour: if pct >= 95.0 || m.replied == 0 {
                            GREEN
                        } else if pct >= 80.0 {
                            SOON
                        } else {
                            ACCENT
                        },
                    }],
                });
                day_groups.push(Group {
                    label: short,
                    bars: vec![
                        Bar {
                            label: String::new(),
                            value: m.median_days,
                            text: days(m.median_days, m.replied),
                            colour: CALM,
                        },
                        Bar {
                            label: String::new(),
                            value: m.p90_days,
                            text: days(m.p90_days, m.replied),
                            colour: SOON,
                        },
                    ],
                });
                page.months.push(MonthRow {
                    month: label,
                    replied: m.replied,
                    on_time: m.on_time,
                    share: share(m.on_time, m.replied),
                    median: days(m.median_days, m.replied),
                    p90: days(m.p90_days, m.replied),
                });
            }
            page.share_chart = grouped_columns(
                "按月按期答复率",
                &share_groups,
                Some(100.0),
                &[("按期答复率", GREEN)],
            );
            page.days_chart = grouped_columns(
                "按月答复用时（工作日）",
                &day_groups,
                None,
                &[("中位数", CALM), ("第90百分位", SOON)],
            );
        }
        Err(status) => page.error = explain(&status),
    }
    page.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_months_end_with_this_one() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(first_month(d("2026-12-02"), 12), d("2026-01-01"));
        assert_eq!(first_month(d("2026-03-31"), 12), d("2025-04-01"));
        let labels = month_labels(d("2025-04-01"), 12);
        assert_eq!(labels.first().unwrap(), "2025-04");
        assert_eq!(labels.last().unwrap(), "2026-03");
    }
}
