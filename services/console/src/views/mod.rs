//! One module per feature of the console.

pub mod admin;
pub mod case;
pub mod cases;
pub mod charts;
pub mod inbox;
pub mod letters;
pub mod login;
pub mod register;
pub mod report;
pub mod steps;
pub mod supervision;
pub mod workbench;

use std::str::FromStr;

use ogi_core::access::{Permission, Role};
use ogi_core::codes::{ApplicantType, Channel, OutcomeCode};

/// Whether one of the user's roles grants `permission` (roles.md). The console offers only
/// what the user may do; the services check it again, with the agency's scope.
pub fn holds(signed_in: &crate::session::SignedIn, permission: Permission) -> bool {
    signed_in
        .user
        .roles
        .iter()
        .filter_map(|r| Role::from_str(r).ok())
        .any(|r| r.grants(permission))
}

/// Today in China (UTC+8): what "due soon" and "overdue" are counted from on screen. Only
/// the display uses it; every legal date a step records is entered by the user.
pub fn today_in_china() -> chrono::NaiveDate {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    chrono::Utc::now().with_timezone(&china).date_naive()
}

/// The Chinese name of a stage code.
pub fn stage_label(code: &str) -> String {
    match code {
        "received" => "待受理",
        "awaiting_correction" => "补正中",
        "in_progress" => "办理中",
        "drafted" => "待审批",
        "approved" => "已审批待送达",
        "closed" => "已办结",
        "" => "",
        _ => "未知环节",
    }
    .to_string()
}

pub fn channel_label(code: &str) -> String {
    Channel::from_str(code)
        .map(|c| c.label().to_string())
        .unwrap_or_else(|_| "其他".to_string())
}

pub fn applicant_type_label(code: &str) -> String {
    ApplicantType::from_str(code)
        .map(|t| t.column_label().to_string())
        .unwrap_or_else(|_| "其他".to_string())
}

pub fn outcome_label(code: &str) -> String {
    if code.is_empty() {
        return String::new();
    }
    OutcomeCode::from_str(code)
        .map(|o| o.short_label().to_string())
        .unwrap_or_else(|_| "其他".to_string())
}

/// Names of roles, for the header.
pub fn role_label(code: &str) -> &'static str {
    match code {
        "registrar" => "登记员",
        "handler" => "承办人",
        "approver" => "审核人",
        "signer" => "签批领导",
        "office" => "政务公开办",
        "viewer" => "只读",
        "sysadmin" => "系统管理员",
        "secadmin" => "安全管理员",
        "auditor" => "审计管理员",
        _ => "其他",
    }
}

/// The first `n` characters of a text, with an ellipsis when cut.
pub fn summary(text: &str, n: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(n).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Who is signed in, for the page header.
pub struct Header {
    pub username: String,
    pub agency: String,
    pub roles: String,
    /// The 审批箱 is in the navigation (approvers and signers).
    pub approves: bool,
    /// The 年度报告 is in the navigation (readers of reports).
    pub reads_reports: bool,
    /// The role codes, for the links a role gets.
    pub role_codes: Vec<String>,
}

impl Header {
    pub fn of(signed_in: &crate::session::SignedIn) -> Header {
        Header {
            username: signed_in.user.username.clone(),
            agency: signed_in.user.agency.clone(),
            roles: signed_in
                .user
                .roles
                .iter()
                .map(|r| role_label(r))
                .collect::<Vec<_>>()
                .join("、"),
            approves: inbox::may_approve(signed_in),
            reads_reports: report::may_read(signed_in),
            role_codes: signed_in.user.roles.clone(),
        }
    }

    /// Whether the user holds `role` (a role code).
    pub fn has(&self, role: &str) -> bool {
        self.role_codes.iter().any(|r| r == role)
    }
}

/// Percent-encoding of every byte outside the unreserved characters (RFC 3986).
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
