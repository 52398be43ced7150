//! Who may do what (../shared/spec/roles.md): roles, the one permission table, scope over the
//! agency registry, separation of duties, the sign-in policy and the hash-chained audit trail.
//! Pure: the accounts service stores users and entries, every service checks with this.

pub mod audit;
pub mod policy;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role (角色). Business roles combine freely; each admin role (三员) excludes every other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Registrar,
    Handler,
    Approver,
    Signer,
    Office,
    Viewer,
    Sysadmin,
    Secadmin,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Registrar,
        Role::Handler,
        Role::Approver,
        Role::Signer,
        Role::Office,
        Role::Viewer,
        Role::Sysadmin,
        Role::Secadmin,
        Role::Auditor,
    ];

    /// The contract code (`--role`, tokens, audit entries).
    pub fn code(self) -> &'static str {
        match self {
            Role::Registrar => "registrar",
            Role::Handler => "handler",
            Role::Approver => "approver",
            Role::Signer => "signer",
            Role::Office => "office",
            Role::Viewer => "viewer",
            Role::Sysadmin => "sysadmin",
            Role::Secadmin => "secadmin",
            Role::Auditor => "auditor",
        }
    }

    /// The Chinese name users read.
    pub fn label(self) -> &'static str {
        match self {
            Role::Registrar => "登记员",
            Role::Handler => "承办人",
            Role::Approver => "审核人",
            Role::Signer => "签批领导",
            Role::Office => "政务公开办",
            Role::Viewer => "只读",
            Role::Sysadmin => "系统管理员",
            Role::Secadmin => "安全管理员",
            Role::Auditor => "审计管理员",
        }
    }

    /// One of the three admin roles (三员分立, GB/T 22239-2019 8.1.4.2 d).
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Sysadmin | Role::Secadmin | Role::Auditor)
    }

    /// Whether this role grants `permission` (the table of roles.md).
    pub fn grants(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            CaseRead => matches!(
                self,
                Registrar | Handler | Approver | Signer | Office | Viewer
            ),
            CaseSubmit | CaseAmend => matches!(self, Registrar | Handler),
            CaseAccept | CaseCorrection | CaseConsult | CaseFee | CaseDraft | CaseServe
            | CaseExtend => self == Handler,
            ExtensionApprove | ReplyApprove | ReplyReturn => matches!(self, Approver | Signer),
            CaseReview => matches!(self, Handler | Office),
            CaseAssign => matches!(self, Registrar | Approver | Office),
            ApplicantViewFull => matches!(self, Registrar | Handler | Approver | Signer),
            ReportRead => matches!(self, Signer | Office | Viewer),
            ReportEnter | ReportLock => self == Office,
            AuditRead => self == Auditor,
            UserCreate | UserList | UserDisable | UserEnable | UserResetPassword | UserGrant
            | UserRevoke | AgencyAdd | AgencyList | AgencyUpdate => self == Sysadmin,
            PolicyRead | PolicyUpdate | KeyRotate => self == Secadmin,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Role {
    type Err = AccessError;

    fn from_str(s: &str) -> Result<Role, AccessError> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| AccessError::UnknownRole(s.to_string()))
    }
}

/// A named action, granted by roles ([`Role::grants`]) and checked with scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Permission {
    CaseRead,
    CaseSubmit,
    CaseAmend,
    CaseAccept,
    CaseCorrection,
    CaseConsult,
    CaseFee,
    CaseDraft,
    CaseServe,
    CaseExtend,
    ExtensionApprove,
    ReplyApprove,
    ReplyReturn,
    CaseReview,
    CaseAssign,
    ApplicantViewFull,
    ReportRead,
    ReportEnter,
    ReportLock,
    AuditRead,
    UserCreate,
    UserList,
    UserDisable,
    UserEnable,
    UserResetPassword,
    UserGrant,
    UserRevoke,
    AgencyAdd,
    AgencyList,
    AgencyUpdate,
    PolicyRead,
    PolicyUpdate,
    KeyRotate,
}

impl Permission {
    pub const ALL: [Permission; 33] = [
        Permission::CaseRead,
        Permission::CaseSubmit,
        Permission::CaseAmend,
        Permission::CaseAccept,
        Permission::CaseCorrection,
        Permission::CaseConsult,
        Permission::CaseFee,
        Permission::CaseDraft,
        Permission::CaseServe,
        Permission::CaseExtend,
        Permission::ExtensionApprove,
        Permission::ReplyApprove,
        Permission::ReplyReturn,
        Permission::CaseReview,
        Permission::CaseAssign,
        Permission::ApplicantViewFull,
        Permission::ReportRead,
        Permission::ReportEnter,
        Permission::ReportLock,
        Permission::AuditRead,
        Permission::UserCreate,
        Permission::UserList,
        Permission::UserDisable,
        Permission::UserEnable,
        Permission::UserResetPassword,
        Permission::UserGrant,
        Permission::UserRevoke,
        Permission::AgencyAdd,
        Permission::AgencyList,
        Permission::AgencyUpdate,
        Permission::PolicyRead,
        Permission::PolicyUpdate,
        Permission::KeyRotate,
    ];

    /// The contract code (audit entries): `case.accept`, `user.create`, …
    pub fn code(self) -> &'static str {
        use Permission::*;
        match self {
            CaseRead => "case.read",
            CaseSubmit => "case.submit",
            CaseAmend => "case.amend",
            CaseAccept => "case.accept",
            CaseCorrection => "case.correction",
            CaseConsult => "case.consult",
            CaseFee => "case.fee",
            CaseDraft => "case.draft",
            CaseServe => "case.serve",
            CaseExtend => "case.extend",
            ExtensionApprove => "extension.approve",
            ReplyApprove => "reply.approve",
            ReplyReturn => "reply.return",
            CaseReview => "case.review",
            CaseAssign => "case.assign",
            ApplicantViewFull => "applicant.view_full",
            ReportRead => "report.read",
            ReportEnter => "report.enter",
            ReportLock => "report.lock",
            AuditRead => "audit.read",
            UserCreate => "user.create",
            UserList => "user.list",
            UserDisable => "user.disable",
            UserEnable => "user.enable",
            UserResetPassword => "user.reset_password",
            UserGrant => "user.grant",
            UserRevoke => "user.revoke",
            AgencyAdd => "agency.add",
            AgencyList => "agency.list",
            AgencyUpdate => "agency.update",
            PolicyRead => "policy.read",
            PolicyUpdate => "policy.update",
            KeyRotate => "policy.rotate_key",
        }
    }

    /// What the action is, in Chinese.
    pub fn label(self) -> &'static str {
        use Permission::*;
        match self {
            CaseRead => "查阅案件",
            CaseSubmit => "登记申请",
            CaseAmend => "修改申请",
            CaseAccept => "受理申请",
            CaseCorrection => "补正",
            CaseConsult => "征求意见",
            CaseFee => "收费",
            CaseDraft => "拟办答复",
            CaseServe => "送达答复",
            CaseExtend => "申请延期",
            ExtensionApprove => "批准延期",
            ReplyApprove => "审核通过答复",
            ReplyReturn => "退回答复",
            CaseReview => "登记复议诉讼",
            CaseAssign => "分办改派",
            ApplicantViewFull => "查看完整身份证件号码和电话",
            ReportRead => "查阅年度报告",
            ReportEnter => "录入年度报告",
            ReportLock => "锁定年度报告",
            AuditRead => "查阅审计日志",
            UserCreate => "新增用户",
            UserList => "查看用户",
            UserDisable => "停用用户",
            UserEnable => "启用用户",
            UserResetPassword => "重置密码",
            UserGrant => "授予角色",
            UserRevoke => "收回角色",
            AgencyAdd => "登记机关",
            AgencyList => "查看机关",
            AgencyUpdate => "修改机关",
            PolicyRead => "查看安全策略",
            PolicyUpdate => "修改安全策略",
            KeyRotate => "轮换签名密钥",
        }
    }

    /// Whether the permission is checked against an agency (case and report actions); admin
    /// actions are not business data and have no agency scope.
    pub fn is_scoped(self) -> bool {
        use Permission::*;
        !matches!(
            self,
            AuditRead
                | UserCreate
                | UserList
                | UserDisable
                | UserEnable
                | UserResetPassword
                | UserGrant
                | UserRevoke
                | AgencyAdd
                | AgencyList
                | AgencyUpdate
                | PolicyRead
                | PolicyUpdate
                | KeyRotate
        )
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How far a user's permissions reach over agencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The user's own agency (the default).
    #[default]
    Own,
    /// The user's agency and every agency below it in the registry.
    Subtree,
    /// Only cases assigned to the user, within the own agency.
    Assigned,
    /// Every registered agency: the local operator of `ogi dev` only.
    All,
}

impl Scope {
    pub fn code(self) -> &'static str {
        match self {
            Scope::Own => "own",
            Scope::Subtree => "subtree",
            Scope::Assigned => "assigned",
            Scope::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Own => "本机关",
            Scope::Subtree => "本机关及下级机关",
            Scope::Assigned => "本人承办的案件",
            Scope::All => "全部机关（本机开发模式）",
        }
    }
}

impl FromStr for Scope {
    type Err = AccessError;

    fn from_str(s: &str) -> Result<Scope, AccessError> {
        [Scope::Own, Scope::Subtree, Scope::Assigned, Scope::All]
            .into_iter()
            .find(|v| v.code() == s)
            .ok_or_else(|| AccessError::UnknownScope(s.to_string()))
    }
}

/// Errors of access rules, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error(
        "未知角色「{0}」（可用：registrar、handler、approver、signer、office、viewer、sysadmin、secadmin、auditor）"
    )]
    UnknownRole(String),
    #[error("未知权限范围「{0}」（可用：own、subtree、assigned）")]
    UnknownScope(String),
    #[error("至少需要一个角色")]
    NoRole,
    #[error("{0}（{1}）不得与其他角色兼任（三员分立）")]
    AdminNotExclusive(&'static str, &'static str),
    #[error("机关「{0}」的上级机关形成循环")]
    Cycle(String),
}

/// Check a set of roles: at least one, and an admin role alone (三员分立).
pub fn check_roles(roles: &[Role]) -> Result<(), AccessError> {
    if roles.is_empty() {
        return Err(AccessError::NoRole);
    }
    let distinct: std::collections::BTreeSet<Role> = roles.iter().copied().collect();
    if let Some(admin) = distinct.iter().find(|r| r.is_admin())
        && distinct.len() > 1
    {
        return Err(AccessError::AdminNotExclusive(admin.label(), admin.code()));
    }
    Ok(())
}

/// The agency registry's hierarchy: each agency's parent, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hierarchy {
    parents: BTreeMap<String, Option<String>>,
}

impl Hierarchy {
    /// From (agency, parent) pairs; a cycle is refused.
    pub fn new(
        agencies: impl IntoIterator<Item = (String, Option<String>)>,
    ) -> Result<Hierarchy, AccessError> {
        let h = Hierarchy {
            parents: agencies.into_iter().collect(),
        };
        for name in h.parents.keys() {
            let mut seen = vec![name.as_str()];
            let mut at = name.as_str();
            while let Some(Some(parent)) = h.parents.get(at) {
                if seen.contains(&parent.as_str()) {
                    return Err(AccessError::Cycle(name.clone()));
                }
                seen.push(parent);
                at = parent;
            }
        }
        Ok(h)
    }

    pub fn contains(&self, agency: &str) -> bool {
        self.parents.contains_key(agency)
    }

    /// `agency` and every agency whose parent chain leads to it, `agency` first, then by name.
    pub fn subtree(&self, agency: &str) -> Vec<String> {
        let mut out = vec![agency.to_string()];
        let mut i = 0;
        while i < out.len() {
            let head = out[i].clone();
            for (name, parent) in &self.parents {
                if parent.as_deref() == Some(head.as_str()) && !out.contains(name) {
                    out.push(name.clone());
                }
            }
            i += 1;
        }
        out
    }

    /// The agencies a user of `agency` with `scope` reaches.
    pub fn reach(&self, agency: &str, scope: Scope) -> Vec<String> {
        match scope {
            Scope::Own | Scope::Assigned => vec![agency.to_string()],
            Scope::Subtree => self.subtree(agency),
            Scope::All => self.parents.keys().cloned().collect(),
        }
    }
}

/// A signed-in user as every service sees them (from the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub username: String,
    pub agency: String,
    #[serde(default)]
    pub department: String,
    pub roles: Vec<Role>,
    pub scope: Scope,
    /// The agencies in scope, computed from the registry when the token was issued.
    pub agencies: Vec<String>,
}

/// Why an action is refused, in Chinese (PERMISSION_DENIED).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    #[error("没有「{}」权限（{}）", .0.label(), .0.code())]
    Permission(Permission),
    #[error("无权访问该机关的案件：「{0}」不在您的权限范围内")]
    Scope(String),
    #[error("无权访问该机关的年度报告：「{0}」不在您的权限范围内")]
    ReportScope(String),
    #[error("无权访问该案件：您的权限范围是本人承办的案件，该案件未分派给您")]
    NotAssigned,
    #[error("拟办答复的人（{0}）不得审核自己的答复（职责分离）")]
    OwnDraft(String),
    #[error("申请延期的人（{0}）不得批准自己的延期申请（职责分离）")]
    OwnExtension(String),
}

impl Principal {
    pub fn has(&self, permission: Permission) -> bool {
        self.roles.iter().any(|r| r.grants(permission))
    }

    /// Whether `agency` is in the user's scope.
    pub fn reaches(&self, agency: &str) -> bool {
        self.agencies.iter().any(|a| a == agency)
    }

    /// May the user do `permission` on `agency`'s cases? (admin actions: `agency` is ignored)
    pub fn authorize(&self, permission: Permission, agency: &str) -> Result<(), Denial> {
        if !self.has(permission) {
            return Err(Denial::Permission(permission));
        }
        if permission.is_scoped() && !self.reaches(agency) {
            return Err(
                if matches!(
                    permission,
                    Permission::ReportRead | Permission::ReportEnter | Permission::ReportLock
                ) {
                    Denial::ReportScope(agency.to_string())
                } else {
                    Denial::Scope(agency.to_string())
                },
            );
        }
        Ok(())
    }

    /// Unmasked identity numbers and phones of `agency`'s applicants.
    pub fn sees_full(&self, agency: &str) -> bool {
        self.authorize(Permission::ApplicantViewFull, agency)
            .is_ok()
    }

    /// The `assigned` scope: only the cases given to the user (分办), whose handler is
    /// `handler` ("" for nobody). Other scopes pass.
    pub fn check_assigned(&self, handler: &str) -> Result<(), Denial> {
        if self.scope == Scope::Assigned && handler != self.username {
            return Err(Denial::NotAssigned);
        }
        Ok(())
    }

    /// Separation of duties: whoever drafted a reply cannot approve or return it.
    pub fn check_not_drafter(&self, drafted_by: &str) -> Result<(), Denial> {
        if !drafted_by.is_empty() && drafted_by == self.username {
            return Err(Denial::OwnDraft(drafted_by.to_string()));
        }
        Ok(())
    }

    /// Separation of duties: whoever requested an extension cannot approve it.
    pub fn check_not_extension_requester(&self, requested_by: &str) -> Result<(), Denial> {
        if !requested_by.is_empty() && requested_by == self.username {
            return Err(Denial::OwnExtension(requested_by.to_string()));
        }
        Ok(())
    }
}

/// Mask an e-mail address: keep the first character and the domain (`w***@example.cn`).
pub fn mask_email(value: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => crate::identity::mask_phone(value),
    }
}

#[cfg(test)]
mod tests;
