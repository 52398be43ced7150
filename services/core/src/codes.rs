//! The closed code lists of the annual report format: outcome codes (办理结果),
//! applicant types (申请人类型), review results (复议诉讼结果), and the small enums of the
//! case-record format (channel, identity document, form, delivery, review kind).
//!
//! The Chinese labels and cited articles come from the project's own copy of
//! `outcomes.toml` and `applicant-types.toml` (`services/core/data/`), which a test keeps
//! equal to `../shared/spec/`.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// An error for a code that is not in its closed list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知的{kind}代码「{value}」")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal { $($variant:ident => $code:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the order of the report format.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable machine code used in events, storage and JSON.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Position in [`Self::ALL`].
            pub fn index(self) -> usize {
                Self::ALL.iter().position(|v| *v == self).unwrap_or_default()
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(UnknownCode { kind: $kind, value: s.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

code_enum! {
    /// The outcome of a closed case (办理结果), one row of table 三, in report order.
    OutcomeCode, "办理结果" {
        Disclosed => "disclosed",
        PartiallyDisclosed => "partially_disclosed",
        WithheldStateSecret => "withheld.state_secret",
        WithheldProhibitedByLaw => "withheld.prohibited_by_law",
        WithheldThreeSafetiesOneStability => "withheld.three_safeties_one_stability",
        WithheldThirdPartyRights => "withheld.third_party_rights",
        WithheldInternalAffairs => "withheld.internal_affairs",
        WithheldProcessInformation => "withheld.process_information",
        WithheldEnforcementCaseFile => "withheld.enforcement_case_file",
        WithheldAdministrativeInquiry => "withheld.administrative_inquiry",
        UnavailableNotHeld => "unavailable.not_held",
        UnavailableRequiresCreation => "unavailable.requires_creation",
        UnavailableUnclearAfterCorrection => "unavailable.unclear_after_correction",
        NotProcessedPetitionComplaint => "not_processed.petition_complaint",
        NotProcessedDuplicate => "not_processed.duplicate",
        NotProcessedPublication => "not_processed.publication",
        NotProcessedExcessive => "not_processed.excessive",
        NotProcessedConfirmOrReissue => "not_processed.confirm_or_reissue",
        OtherCorrectionOverdue => "other.correction_overdue",
        OtherFeeOverdue => "other.fee_overdue",
        OtherOther => "other.other",
    }
}

code_enum! {
    /// The applicant type (申请人类型), one column of table 三, in report order.
    ApplicantType, "申请人类型" {
        NaturalPerson => "natural_person",
        CommercialEnterprise => "commercial_enterprise",
        ResearchInstitution => "research_institution",
        SocialWelfareOrg => "social_welfare_org",
        LegalServiceInstitution => "legal_service_institution",
        OtherOrg => "other_org",
    }
}

code_enum! {
    /// The result of an administrative review or lawsuit as of 31 December (table 四).
    ReviewResult, "复议诉讼结果" {
        Upheld => "upheld",
        Corrected => "corrected",
        Other => "other",
        Pending => "pending",
    }
}

code_enum! {
    /// Administrative reconsideration (行政复议) or litigation (行政诉讼), table 四's column groups.
    ReviewKind, "复议诉讼类型" {
        Review => "review",
        LitigationDirect => "litigation_direct",
        LitigationAfterReview => "litigation_after_review",
    }
}

code_enum! {
    /// How the application reached the agency (Art. 31 decides its receipt date).
    Channel, "申请渠道" {
        InPerson => "in_person",
        Mail => "mail",
        Online => "online",
        Fax => "fax",
        Email => "email",
    }
}

code_enum! {
    /// The applicant's identity document (身份证件).
    IdType, "证件类型" {
        ResidentIdCard => "resident_id_card",
        UnifiedSocialCreditCode => "unified_social_credit_code",
        Passport => "passport",
        Other => "other",
    }
}

code_enum! {
    /// The form in which the information is wanted (Art. 29(3)).
    RequestForm, "获取形式" {
        Paper => "paper",
        Electronic => "electronic",
    }
}

code_enum! {
    /// How the information is to be obtained (Art. 29(3)).
    Delivery, "获取方式" {
        Pickup => "pickup",
        Mail => "mail",
        Email => "email",
        Online => "online",
        Fax => "fax",
    }
}

code_enum! {
    /// Where the validation service's examination of an application stands (审核状态).
    ReviewState, "审核状态" {
        Received => "received",
        AwaitingCorrection => "awaiting_correction",
        Accepted => "accepted",
        Abandoned => "abandoned",
    }
}

impl Channel {
    /// Chinese label for letters and the console.
    pub fn label(self) -> &'static str {
        match self {
            Channel::InPerson => "当面提交",
            Channel::Mail => "信函",
            Channel::Online => "网上申请",
            Channel::Fax => "传真",
            Channel::Email => "电子邮件",
        }
    }
}

impl IdType {
    /// Chinese label for the console.
    pub fn label(self) -> &'static str {
        match self {
            IdType::ResidentIdCard => "居民身份证",
            IdType::UnifiedSocialCreditCode => "统一社会信用代码",
            IdType::Passport => "护照",
            IdType::Other => "其他证件",
        }
    }
}

impl RequestForm {
    /// Chinese label for the console.
    pub fn label(self) -> &'static str {
        match self {
            RequestForm::Paper => "纸质",
            RequestForm::Electronic => "电子",
        }
    }
}

impl Delivery {
    /// Chinese label: how the information is obtained, and how a reply is served (送达方式).
    pub fn label(self) -> &'static str {
        match self {
            Delivery::Pickup => "自行领取",
            Delivery::Mail => "邮寄",
            Delivery::Email => "电子邮件",
            Delivery::Online => "网上获取",
            Delivery::Fax => "传真",
        }
    }
}

impl ReviewState {
    /// Chinese label for the console.
    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Received => "待受理",
            ReviewState::AwaitingCorrection => "待补正",
            ReviewState::Accepted => "已受理",
            ReviewState::Abandoned => "视为放弃申请",
        }
    }
}

/// The closed lists whose codes a person may read, for [`label`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeList {
    Channel,
    ApplicantType,
    IdType,
    RequestForm,
    /// How information is obtained and how a reply is served.
    Delivery,
    Outcome,
    ReviewKind,
    ReviewResult,
    ReviewState,
    Stage,
    ConsultationKind,
}

/// The Chinese label of `code` in `list` — the one table every user interface takes its labels
/// from (machine formats keep the codes). A code not in the list comes back as given.
pub fn label(list: CodeList, code: &str) -> &str {
    use crate::case::{ConsultationKind, Stage};
    let found = match list {
        CodeList::Channel => code.parse::<Channel>().ok().map(Channel::label),
        CodeList::ApplicantType => code
            .parse::<ApplicantType>()
            .ok()
            .map(ApplicantType::column_label),
        CodeList::IdType => code.parse::<IdType>().ok().map(IdType::label),
        CodeList::RequestForm => code.parse::<RequestForm>().ok().map(RequestForm::label),
        CodeList::Delivery => code.parse::<Delivery>().ok().map(Delivery::label),
        CodeList::Outcome => code
            .parse::<OutcomeCode>()
            .ok()
            .map(OutcomeCode::short_label),
        CodeList::ReviewKind => code.parse::<ReviewKind>().ok().map(ReviewKind::label),
        CodeList::ReviewResult => code
            .parse::<ReviewResult>()
            .ok()
            .map(ReviewResult::column_label),
        CodeList::ReviewState => code.parse::<ReviewState>().ok().map(ReviewState::label),
        CodeList::Stage => Stage::ALL
            .iter()
            .find(|s| s.code() == code)
            .map(|s| s.label()),
        CodeList::ConsultationKind => ConsultationKind::ALL
            .iter()
            .find(|k| k.code() == code)
            .map(|k| k.party()),
    };
    found.unwrap_or(code)
}

impl ReviewKind {
    /// The column group of table 四.
    pub fn label(self) -> &'static str {
        match self {
            ReviewKind::Review => "行政复议",
            ReviewKind::LitigationDirect => "未经复议直接起诉",
            ReviewKind::LitigationAfterReview => "复议后起诉",
        }
    }
}

/// One outcome as `outcomes.toml` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OutcomeSpec {
    pub code: String,
    pub group: String,
    pub row: String,
    pub articles: Vec<String>,
}

/// One applicant type as `applicant-types.toml` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApplicantTypeSpec {
    pub code: String,
    #[serde(default)]
    pub group: Option<String>,
    pub column: String,
}

/// One review result as `applicant-types.toml` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReviewResultSpec {
    pub code: String,
    pub column: String,
}

#[derive(Debug, Deserialize)]
struct OutcomesFile {
    outcome: Vec<OutcomeSpec>,
}

#[derive(Debug, Deserialize)]
struct ApplicantTypesFile {
    applicant_type: Vec<ApplicantTypeSpec>,
    review_result: Vec<ReviewResultSpec>,
}

/// The outcomes file shipped with ogi.
pub const OUTCOMES_TOML: &str = include_str!("../data/outcomes.toml");
/// The applicant types file shipped with ogi.
pub const APPLICANT_TYPES_TOML: &str = include_str!("../data/applicant-types.toml");

fn outcome_specs() -> &'static [OutcomeSpec] {
    static SPECS: OnceLock<Vec<OutcomeSpec>> = OnceLock::new();
    SPECS.get_or_init(|| {
        let file: OutcomesFile =
            toml::from_str(OUTCOMES_TOML).expect("the shipped outcomes.toml parses");
        file.outcome
    })
}

fn applicant_specs() -> &'static ApplicantTypesFile {
    static SPECS: OnceLock<ApplicantTypesFile> = OnceLock::new();
    SPECS.get_or_init(|| {
        toml::from_str(APPLICANT_TYPES_TOML).expect("the shipped applicant-types.toml parses")
    })
}

/// Parse an outcomes file (used to compare a copy against the shipped one).
pub fn parse_outcomes(text: &str) -> Result<Vec<OutcomeSpec>, toml::de::Error> {
    toml::from_str::<OutcomesFile>(text).map(|f| f.outcome)
}

/// Parse an applicant-types file: (applicant types, review results).
pub fn parse_applicant_types(
    text: &str,
) -> Result<(Vec<ApplicantTypeSpec>, Vec<ReviewResultSpec>), toml::de::Error> {
    toml::from_str::<ApplicantTypesFile>(text).map(|f| (f.applicant_type, f.review_result))
}

impl OutcomeCode {
    fn spec(self) -> &'static OutcomeSpec {
        &outcome_specs()[self.index()]
    }
    /// The table row label, verbatim (e.g. `1.属于国家秘密`).
    pub fn row_label(self) -> &'static str {
        &self.spec().row
    }
    /// The parent row (e.g. `（三）不予公开`).
    pub fn group_label(self) -> &'static str {
        &self.spec().group
    }
    /// The articles of the Regulations the reply letter cites.
    pub fn articles(self) -> &'static [String] {
        &self.spec().articles
    }
    /// A short Chinese name: the row label without its numbering.
    pub fn short_label(self) -> &'static str {
        let row = self.row_label();
        let row = row.split_once('.').map_or(row, |(_, rest)| rest);
        let row = row.split_once('）').map_or(row, |(_, rest)| rest);
        row.split_once('（').map_or(row, |(head, _)| head)
    }
    /// Outcomes that end the case without an examination on the merits.
    pub fn is_abandonment(self) -> bool {
        matches!(
            self,
            OutcomeCode::OtherCorrectionOverdue | OutcomeCode::OtherFeeOverdue
        )
    }
}

impl ApplicantType {
    /// The table column header, verbatim (e.g. `商业企业`).
    pub fn column_label(self) -> &'static str {
        &applicant_specs().applicant_type[self.index()].column
    }
    /// `true` for the columns under 法人或其他组织.
    pub fn is_organisation(self) -> bool {
        self != ApplicantType::NaturalPerson
    }
}

impl ReviewResult {
    /// The table column header, verbatim (e.g. `结果维持`).
    pub fn column_label(self) -> &'static str {
        &applicant_specs().review_result[self.index()].column
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::upstream;

    #[test]
    fn shipped_outcomes_equal_the_shared_spec() {
        let Some(text) = upstream::read("codes", "spec/outcomes.toml") else {
            return;
        };
        let shared = parse_outcomes(&text).unwrap();
        assert_eq!(shared, outcome_specs());
        let codes: Vec<&str> = shared.iter().map(|o| o.code.as_str()).collect();
        let ours: Vec<&str> = OutcomeCode::ALL.iter().map(|o| o.code()).collect();
        assert_eq!(codes, ours, "enum order must be the report's row order");
        assert_eq!(ours.len(), 21);
    }

    #[test]
    fn shipped_applicant_types_equal_the_shared_spec() {
        let Some(text) = upstream::read("codes", "spec/applicant-types.toml") else {
            return;
        };
        let (types, results) = parse_applicant_types(&text).unwrap();
        assert_eq!(types, applicant_specs().applicant_type);
        assert_eq!(results, applicant_specs().review_result);
        let codes: Vec<&str> = types.iter().map(|t| t.code.as_str()).collect();
        let ours: Vec<&str> = ApplicantType::ALL.iter().map(|t| t.code()).collect();
        assert_eq!(codes, ours);
        let codes: Vec<&str> = results.iter().map(|t| t.code.as_str()).collect();
        let ours: Vec<&str> = ReviewResult::ALL.iter().map(|t| t.code()).collect();
        assert_eq!(codes, ours);
    }

    #[test]
    fn labels_and_articles_come_from_the_spec() {
        assert_eq!(
            OutcomeCode::WithheldStateSecret.row_label(),
            "1.属于国家秘密"
        );
        assert_eq!(
            OutcomeCode::WithheldStateSecret.short_label(),
            "属于国家秘密"
        );
        assert_eq!(OutcomeCode::Disclosed.short_label(), "予以公开");
        assert_eq!(OutcomeCode::PartiallyDisclosed.short_label(), "部分公开");
        assert_eq!(
            OutcomeCode::WithheldThirdPartyRights.articles(),
            ["第十五条", "第三十二条"]
        );
        assert_eq!(
            ApplicantType::LegalServiceInstitution.column_label(),
            "法律服务机构"
        );
        assert_eq!(ReviewResult::Pending.column_label(), "尚未审结");
    }

    #[test]
    fn every_code_a_person_reads_has_a_chinese_label() {
        fn all<T: Copy>(list: CodeList, values: &[T], code: fn(T) -> &'static str) {
            for value in values {
                let code = code(*value);
                let text = label(list, code);
                assert_ne!(text, code, "{list:?} {code} has no label");
                assert!(!text.is_ascii(), "{list:?} {code}: {text}");
            }
        }
        all(CodeList::Channel, Channel::ALL, Channel::code);
        all(
            CodeList::ApplicantType,
            ApplicantType::ALL,
            ApplicantType::code,
        );
        all(CodeList::IdType, IdType::ALL, IdType::code);
        all(CodeList::RequestForm, RequestForm::ALL, RequestForm::code);
        all(CodeList::Delivery, Delivery::ALL, Delivery::code);
        all(CodeList::Outcome, OutcomeCode::ALL, OutcomeCode::code);
        all(CodeList::ReviewKind, ReviewKind::ALL, ReviewKind::code);
        all(
            CodeList::ReviewResult,
            ReviewResult::ALL,
            ReviewResult::code,
        );
        all(CodeList::ReviewState, ReviewState::ALL, ReviewState::code);
        all(
            CodeList::Stage,
            crate::case::Stage::ALL,
            crate::case::Stage::code,
        );
        all(
            CodeList::ConsultationKind,
            crate::case::ConsultationKind::ALL,
            crate::case::ConsultationKind::code,
        );
        assert_eq!(label(CodeList::Channel, "online"), "网上申请");
        assert_eq!(label(CodeList::ApplicantType, "natural_person"), "自然人");
        assert_eq!(
            label(CodeList::ReviewState, "awaiting_correction"),
            "待补正"
        );
        assert_eq!(label(CodeList::Outcome, "partially_disclosed"), "部分公开");
        assert_eq!(label(CodeList::Stage, "in_progress"), "办理中");
        assert_eq!(label(CodeList::Channel, "pigeon"), "pigeon");
    }

    #[test]
    fn unknown_codes_are_named() {
        let err = "withheld.secret".parse::<OutcomeCode>().unwrap_err();
        assert_eq!(err.to_string(), "未知的办理结果代码「withheld.secret」");
        for code in OutcomeCode::ALL {
            assert_eq!(code.code().parse::<OutcomeCode>().unwrap(), *code);
        }
    }
}
