//! Reply letters (政府信息公开申请答复书): the letter that tells the applicant the outcome of an
//! application, rendered from the case facts with the default wording of `reply-letters.md`.
//!
//! A letter is a fixed frame (letterhead, salutation, restated request, remedy clause
//! 救济途径, signature) around one body per outcome code (办理结果). Both live in
//! [`TEMPLATES_TOML`], a small template file with `{placeholders}`, so that the wording can
//! be read and edited in one place; [`Templates::parse`] refuses a template file that drops
//! the required content (the facts, the articles cited, the remedy).
//!
//! Layout (indentation, right-aligned signature, seal 印章) is the publishing service's job:
//! [`ReplyLetter::text`] is one paragraph per line.

use std::fmt;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::codes::{OutcomeCode, UnknownCode};
use crate::fees;

/// The full name of the Regulations, put before the articles a letter cites.
pub const REGULATIONS: &str = "《中华人民共和国政府信息公开条例》";
/// The court named when the agency has not set one.
pub const DEFAULT_COURT: &str = "有管辖权的人民法院";
/// The review organ (复议机关) named when the agency has not set one.
pub const DEFAULT_REVIEW_ORGAN: &str = "上一级人民政府";

/// What the letterhead and the remedy clause of an agency's letters say (agency settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyLetterhead {
    /// The agency's name (行政机关名称), at the head and in the signature.
    pub name: String,
    /// The prefix of the document number (文号前缀), e.g. `安府信公`.
    pub document_prefix: String,
    /// The review organ (复议机关), e.g. `遂宁市人民政府`. Since the 2023 Administrative
    /// Reconsideration Law this is the government at the level above a government, or the
    /// government at the same level for one of its departments (vertically managed agencies
    /// such as tax and customs: the organ above them).
    pub review_organ: String,
    /// The court for litigation (人民法院), e.g. `遂宁市船山区人民法院`.
    pub court: String,
}

impl AgencyLetterhead {
    /// Defaults guessed from the agency's name, for the agency to correct: the document prefix
    /// is the first character of the innermost administrative division, the organ's first
    /// character (`府` for a 人民政府) and `信公` (`遂宁市安居区人民政府` → `安府信公`); the
    /// review organ is the government above a government, the government of the same level
    /// for a department; the court is [`DEFAULT_COURT`], since centralised jurisdiction
    /// (集中管辖) cannot be guessed.
    pub fn default_for(agency_name: &str) -> Self {
        let name = one_line(agency_name);
        let (divisions, organ) = split_divisions(&name);
        let place: String = divisions
            .last()
            .and_then(|d| d.chars().next())
            .into_iter()
            .collect();
        let organ_abbr: String = match organ.strip_prefix("人民政府") {
            Some(rest) => std::iter::once('府').chain(rest.chars().next()).collect(),
            None => organ.chars().next().into_iter().collect(),
        };
        let review_organ = match (organ == "人民政府", divisions.len()) {
            (true, n) if n >= 2 => format!("{}人民政府", divisions[..n - 1].concat()),
            (true, _) => DEFAULT_REVIEW_ORGAN.to_string(),
            (false, 0) => "本级人民政府".to_string(),
            (false, _) => format!("{}人民政府", divisions.concat()),
        };
        AgencyLetterhead {
            document_prefix: format!("{place}{organ_abbr}信公"),
            review_organ,
            court: DEFAULT_COURT.to_string(),
            name,
        }
    }
}

/// What the agency registry (`ogi admin agency add … --letter-prefix X
/// --reconsideration-body B`) says about an agency's letters; empty where nothing is
/// registered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredLetterhead {
    /// The prefix of the document number (文号前缀), e.g. `安府信公`.
    pub letter_prefix: String,
    /// The reconsideration body (复议机关) named in the remedy clause.
    pub reconsideration_body: String,
}

impl AgencyLetterhead {
    /// This letterhead with what the registry says in place of the configured or guessed
    /// values: the registry is where a sysadmin records the agency's own prefix and body.
    pub fn with_registered(mut self, registered: &RegisteredLetterhead) -> Self {
        let prefix = registered.letter_prefix.trim();
        if !prefix.is_empty() {
            self.document_prefix = prefix.to_string();
        }
        let body = registered.reconsideration_body.trim();
        if !body.is_empty() {
            self.review_organ = body.to_string();
        }
        self
    }
}

/// The facts of a case that a reply letter states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterFacts {
    pub outcome: OutcomeCode,
    /// The applicant's name or organisation name (申请人名称).
    pub applicant_name: String,
    /// The statutory receipt date (收到申请日期, Art. 31).
    pub received_on: NaiveDate,
    /// What the applicant asked for (申请内容), quoted in the letter.
    pub request_description: String,
    /// The reply date (答复日期), under the signature.
    pub replied_on: NaiveDate,
    /// The letter's number (文号), as [`document_number`] formats it.
    pub document_number: String,
    /// The handler's legal basis (法律依据); may be empty. It fills the body's `{依据}` slot
    /// where the wording has one (the law that prohibits disclosure, the special access regime,
    /// the reason for withholding part). For `disclosed`, a basis that cites Art. 36(1) and
    /// not Art. 36(2) selects the "already proactively disclosed" wording.
    pub legal_basis: String,
    /// The handler's free text (答复正文): what is disclosed, where it can be found, reasons;
    /// may be empty. It follows the statutory body as its own paragraphs (for `other.other`
    /// it is the body).
    pub reply_text: String,
    /// For `unavailable.not_held`: the agency that is responsible for the information
    /// (Art. 36(5)); `None` when the information does not exist (Art. 36(4)).
    pub other_agency: Option<String>,
    /// For `other.fee_overdue`: the fee that was not paid, in yuan.
    pub fee_amount_yuan: Option<String>,
}

/// Why the facts cannot make a proper letter (see [`LetterFacts::check`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    #[error("答复书缺少申请人名称")]
    MissingApplicant,
    #[error("答复书缺少申请内容")]
    MissingRequest,
    #[error("答复书缺少文号")]
    MissingDocumentNumber,
    #[error("答复日期{replied_on}早于收到申请日期{received_on}")]
    ReplyBeforeReceipt {
        received_on: NaiveDate,
        replied_on: NaiveDate,
    },
    #[error("负责公开该信息的机关名称为空")]
    BlankOtherAgency,
    #[error("办理结果「{0}」的答复书须填写答复正文")]
    MissingReplyText(OutcomeCode),
    #[error("信息已主动公开的，答复正文须写明获取的方式、途径（第三十六条第（一）项）")]
    MissingAccessRoute,
}

impl LetterFacts {
    /// Problems that would make the rendered letter incomplete; [`render`] renders anyway.
    pub fn check(&self) -> Result<(), LetterError> {
        if self.applicant_name.trim().is_empty() {
            return Err(LetterError::MissingApplicant);
        }
        if self.request_description.trim().is_empty() {
            return Err(LetterError::MissingRequest);
        }
        if self.document_number.trim().is_empty() {
            return Err(LetterError::MissingDocumentNumber);
        }
        if self.replied_on < self.received_on {
            return Err(LetterError::ReplyBeforeReceipt {
                received_on: self.received_on,
                replied_on: self.replied_on,
            });
        }
        if self
            .other_agency
            .as_deref()
            .is_some_and(|a| a.trim().is_empty())
        {
            return Err(LetterError::BlankOtherAgency);
        }
        let no_reply_text = self.reply_text.trim().is_empty();
        if self.outcome == OutcomeCode::OtherOther && no_reply_text {
            return Err(LetterError::MissingReplyText(self.outcome));
        }
        if Condition::AlreadyPublic.holds(self) && no_reply_text {
            return Err(LetterError::MissingAccessRoute);
        }
        Ok(())
    }
}

/// A rendered reply letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyLetter {
    /// The letter's title, e.g. `政府信息公开申请答复书`.
    pub title: String,
    /// The full letter in Chinese, one paragraph per line: agency, title, number, salutation,
    /// body, remedy, agency, reply date.
    pub text: String,
}

/// A document number (文号) in the official form, e.g. `安府信公〔2024〕17号`: the year in
/// hexagonal brackets 〔〕, the sequence number without 第 and without leading zeros
/// (GB/T 9704-2012).
pub fn document_number(prefix: &str, year: i32, seq: i64) -> String {
    format!("{}〔{year}〕{seq}号", prefix.trim())
}

/// A date in the Chinese form of letters, e.g. `2024年4月20日`.
pub fn chinese_date(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// `true` for the refusals under Art. 14–16, where reconsideration comes before litigation
/// (复议前置) since the revised Administrative Reconsideration Law took effect on 2024-01-01.
pub fn review_comes_first(outcome: OutcomeCode) -> bool {
    matches!(
        outcome,
        OutcomeCode::WithheldStateSecret
            | OutcomeCode::WithheldProhibitedByLaw
            | OutcomeCode::WithheldThreeSafetiesOneStability
            | OutcomeCode::WithheldThirdPartyRights
            | OutcomeCode::WithheldInternalAffairs
            | OutcomeCode::WithheldProcessInformation
            | OutcomeCode::WithheldEnforcementCaseFile
    )
}

/// Render the reply letter of a case with the shipped templates.
pub fn render(letterhead: &AgencyLetterhead, facts: &LetterFacts) -> ReplyLetter {
    Templates::shipped().render(letterhead, facts)
}

/// The default wording of every reply letter (reply-letters.md).
///
/// Placeholders: `{申请人}` `{收到日期}` `{申请内容}` `{复议机关}` `{人民法院}` come from the
/// case and the letterhead; `{条款}` is the Regulations and the articles the body cites
/// (`cites`, by default all the articles of its outcome in `outcomes.toml`); `{依据}` is the
/// handler's legal basis, `{说明}` the handler's reply text (when a body does not place it, it
/// follows the body), `{其他机关}` the responsible agency, `{金额}` the unpaid fee.
/// `{名称|替代文字}` prints the text after `|` when the value is empty.
///
/// A body with `when` replaces the outcome's default body when its condition holds:
/// `other_agency` when the facts name another agency, `already_public` when the legal basis
/// cites Art. 36(1) and not Art. 36(2).
pub const TEMPLATES_TOML: &str = r#"
[frame]
title = "政府信息公开申请答复书"
salutation = "{申请人}："
opening = "本机关于{收到日期}收到您（单位）提交的政府信息公开申请，申请获取“{申请内容}”。"
transition = "经审查，现答复如下："
remedy = "如对本答复不服，可以自收到本答复之日起六十日内向{复议机关}申请行政复议，或者自知道或者应当知道作出本答复之日起六个月内向{人民法院}提起行政诉讼。"
# Refusals under Art. 14–16: reconsideration first (复议前置).
remedy_review_first = "如对本答复不服，可以自收到本答复之日起六十日内向{复议机关}申请行政复议；对行政复议决定不服的，可以依法向人民法院提起行政诉讼。"

[[body]]
code = "disclosed"
cites = ["第三十六条第（二）项"]
text = "您申请获取的政府信息属于公开范围。根据{条款}的规定，现向您提供（见附件）。"

[[body]]
code = "disclosed"
when = "already_public"
cites = ["第三十六条第（一）项"]
text = "您申请获取的政府信息属于公开范围。该信息已经主动公开，根据{条款}的规定，现告知您获取该信息的方式、途径。"

[[body]]
code = "partially_disclosed"
text = "您申请获取的信息中含有不应当公开的内容，能够作区分处理。根据{条款}的规定，现向您提供可以公开的部分（见附件）；不予公开部分的理由及依据：{依据|该部分属于依法不应当公开的内容}。"

[[body]]
code = "withheld.state_secret"
text = "您申请获取的信息依法确定为国家秘密，根据{条款}的规定，不予公开。"

[[body]]
code = "withheld.prohibited_by_law"
text = "您申请获取的信息属于{依据|法律、行政法规}禁止公开的信息，根据{条款}的规定，不予公开。"

[[body]]
code = "withheld.three_safeties_one_stability"
text = "您申请获取的信息公开后可能危及国家安全、公共安全、经济安全、社会稳定，根据{条款}的规定，不予公开。"

[[body]]
code = "withheld.third_party_rights"
text = "您申请获取的信息涉及商业秘密或者个人隐私，公开会对第三方合法权益造成损害。本机关已书面征求第三方意见，经审查，根据{条款}的规定，不予公开。"

[[body]]
code = "withheld.internal_affairs"
text = "您申请获取的信息属于本机关的内部事务信息（人事管理、后勤管理、内部工作流程等信息），根据{条款}的规定，不予公开。"

[[body]]
code = "withheld.process_information"
text = "您申请获取的信息属于本机关在履行行政管理职能过程中形成的讨论记录、过程稿、磋商信函、请示报告等过程性信息，根据{条款}的规定，不予公开。"

[[body]]
code = "withheld.enforcement_case_file"
text = "您申请获取的信息属于行政执法案卷信息，根据{条款}的规定，不予公开。"

[[body]]
code = "withheld.administrative_inquiry"
text = "您申请获取的信息属于工商、不动产登记资料等信息，{依据|有关法律、行政法规}对该类信息的获取有特别规定。根据{条款}的规定，请您依照该规定办理。"

[[body]]
code = "unavailable.not_held"
cites = ["第三十六条第（四）项"]
text = "经检索，本机关没有制作或者获取您申请的信息，根据{条款}的规定，告知您该政府信息不存在。"

[[body]]
code = "unavailable.not_held"
when = "other_agency"
cites = ["第三十六条第（五）项"]
text = "您申请获取的信息不属于本机关负责公开，根据{条款}的规定，请向{其他机关}申请。"

[[body]]
code = "unavailable.requires_creation"
text = "本机关没有您申请的现成信息，提供该信息需要对现有政府信息进行加工、分析。根据{条款}的规定，本机关不予提供。"

[[body]]
code = "unavailable.unclear_after_correction"
text = "本机关已告知您补正申请，您补正后申请内容仍不明确，本机关无法确定您所申请的信息，根据{条款}的规定，无法提供。"

[[body]]
code = "not_processed.petition_complaint"
text = "您以政府信息公开申请的形式提出的是信访、投诉、举报等事项。根据{条款}的规定，不作为政府信息公开申请处理，您可以通过相应渠道提出。"

[[body]]
code = "not_processed.duplicate"
text = "本机关已就您申请公开的相同信息作出答复。根据{条款}的规定，不予重复处理。"

[[body]]
code = "not_processed.publication"
text = "您申请获取的是政府公报、报刊、书籍等公开出版物，根据{条款}的规定，您可以通过公开发行、借阅等途径获取。"

[[body]]
code = "not_processed.excessive"
text = "您申请公开政府信息的数量、频次明显超过合理范围，本机关已要求您说明理由，经审查认为理由不合理。根据{条款}的规定，不予处理。"

[[body]]
code = "not_processed.confirm_or_reissue"
text = "您的申请是要求本机关确认或者重新出具您已经获取的信息，不属于政府信息公开申请的处理范围，本机关不予处理。"

[[body]]
code = "other.correction_overdue"
text = "本机关已告知您在规定期限内补正申请，您无正当理由逾期未补正。根据{条款}的规定，视为您放弃申请，本机关不再处理该申请。"

[[body]]
code = "other.fee_overdue"
text = "本机关已向您发出收费通知，您逾期未缴纳信息处理费{金额|}。根据{条款}和《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）的规定，视为放弃申请，本机关不再处理该申请。"

[[body]]
code = "other.other"
text = "{说明|本机关已依法对您的申请作出处理。}"
"#;

/// Why a template file is refused.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("答复书模板不是有效的 TOML：{0}")]
    Toml(#[from] toml::de::Error),
    #[error(transparent)]
    UnknownCode(#[from] UnknownCode),
    #[error("办理结果「{0}」缺少默认正文模板")]
    MissingBody(OutcomeCode),
    #[error("办理结果「{code}」有两个条件为「{condition}」的正文模板")]
    DuplicateBody {
        code: OutcomeCode,
        condition: String,
    },
    #[error("{part}中的占位符「{text}」无法识别")]
    BadPlaceholder { part: String, text: String },
    #[error("{part}必须包含占位符「{{{slot}}}」")]
    MissingPlaceholder { part: String, slot: &'static str },
    #[error("办理结果「{code}」的正文引用了{article}，该条款不是此办理结果的依据")]
    ForeignArticle { code: OutcomeCode, article: String },
    #[error("办理结果「{code}」没有正文引用{article}")]
    UncitedArticle { code: OutcomeCode, article: String },
}

/// A validated set of letter templates.
#[derive(Debug, Clone)]
pub struct Templates {
    frame: Frame,
    /// The default body of each outcome, indexed by [`OutcomeCode::index`].
    defaults: Vec<Body>,
    /// Bodies used instead of the default when their condition holds, in file order.
    variants: Vec<Body>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Frame {
    title: String,
    salutation: String,
    opening: String,
    transition: String,
    remedy: String,
    remedy_review_first: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplates {
    frame: Frame,
    body: Vec<RawBody>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBody {
    code: String,
    #[serde(default)]
    when: Option<Condition>,
    #[serde(default)]
    cites: Option<Vec<String>>,
    text: String,
}

#[derive(Debug, Clone)]
struct Body {
    when: Option<Condition>,
    code: OutcomeCode,
    /// The articles `{条款}` prints.
    cites: Vec<String>,
    /// Whether the body places the reply text itself.
    places_reply: bool,
    text: String,
}

/// When a body replaces its outcome's default body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Condition {
    /// The facts name the agency responsible for the information (Art. 36(5)).
    OtherAgency,
    /// A `disclosed` case whose legal basis cites Art. 36(1) and not Art. 36(2).
    AlreadyPublic,
}

impl Condition {
    fn holds(self, facts: &LetterFacts) -> bool {
        match self {
            Condition::OtherAgency => facts.other_agency.as_deref().and_then(non_blank).is_some(),
            Condition::AlreadyPublic => {
                facts.outcome == OutcomeCode::Disclosed && cites_item_one_only(&facts.legal_basis)
            }
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Condition::OtherAgency => "other_agency",
            Condition::AlreadyPublic => "already_public",
        })
    }
}

/// `true` when a legal basis cites item (一) of an article (Art. 36(1)) but not item (二).
fn cites_item_one_only(legal_basis: &str) -> bool {
    let plain: String = legal_basis
        .chars()
        .filter(|c| !matches!(c, '（' | '）' | '(' | ')') && !c.is_whitespace())
        .collect();
    plain.contains("第一项") && !plain.contains("第二项")
}

/// A placeholder of the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Applicant,
    Received,
    Request,
    ReviewOrgan,
    Court,
    Articles,
    Basis,
    Reply,
    OtherAgency,
    Fee,
}

impl Slot {
    const ALL: [Slot; 10] = [
        Slot::Applicant,
        Slot::Received,
        Slot::Request,
        Slot::ReviewOrgan,
        Slot::Court,
        Slot::Articles,
        Slot::Basis,
        Slot::Reply,
        Slot::OtherAgency,
        Slot::Fee,
    ];

    fn name(self) -> &'static str {
        match self {
            Slot::Applicant => "申请人",
            Slot::Received => "收到日期",
            Slot::Request => "申请内容",
            Slot::ReviewOrgan => "复议机关",
            Slot::Court => "人民法院",
            Slot::Articles => "条款",
            Slot::Basis => "依据",
            Slot::Reply => "说明",
            Slot::OtherAgency => "其他机关",
            Slot::Fee => "金额",
        }
    }

    fn from_name(name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A piece of a template: text, or a placeholder with its optional replacement text.
enum Piece<'a> {
    Text(&'a str),
    Slot(Slot, Option<&'a str>),
}

/// Split a template into pieces; `Err` carries the placeholder that is not understood.
fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(rest[open..].to_string());
        }
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| rest[open..].to_string())?;
        let inner = &after[..close];
        let (name, fallback) = match inner.split_once('|') {
            Some((name, fallback)) => (name, Some(fallback)),
            None => (inner, None),
        };
        let slot = Slot::from_name(name)
            .filter(|_| !inner.contains('{'))
            .ok_or_else(|| format!("{{{inner}}}"))?;
        out.push(Piece::Slot(slot, fallback));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Check that a template parses and holds the required placeholders; returns its slots.
fn check_part(part: &str, template: &str, required: &[Slot]) -> Result<Vec<Slot>, TemplateError> {
    let slots: Vec<Slot> = pieces(template)
        .map_err(|text| TemplateError::BadPlaceholder {
            part: part.to_string(),
            text,
        })?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Slot(slot, _) => Some(slot),
            Piece::Text(_) => None,
        })
        .collect();
    if let Some(missing) = required.iter().find(|s| !slots.contains(s)) {
        return Err(TemplateError::MissingPlaceholder {
            part: part.to_string(),
            slot: missing.name(),
        });
    }
    Ok(slots)
}

impl Templates {
    /// Parse and validate a template file (the format of [`TEMPLATES_TOML`]): every outcome
    /// has a default body, every article of `outcomes.toml` is cited by one of its bodies and
    /// no other article is, and the frame keeps the facts and the remedy.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let raw: RawTemplates = toml::from_str(text)?;
        let frame = raw.frame;
        check_part("答复书标题", &frame.title, &[])?;
        check_part("称呼", &frame.salutation, &[Slot::Applicant])?;
        check_part("开头", &frame.opening, &[Slot::Received, Slot::Request])?;
        check_part("过渡语", &frame.transition, &[])?;
        check_part("救济途径", &frame.remedy, &[Slot::ReviewOrgan, Slot::Court])?;
        check_part(
            "复议前置的救济途径",
            &frame.remedy_review_first,
            &[Slot::ReviewOrgan],
        )?;

        let mut defaults: Vec<Option<Body>> = vec![None; OutcomeCode::ALL.len()];
        let mut variants: Vec<Body> = Vec::new();
        for raw_body in raw.body {
            let code: OutcomeCode = raw_body.code.parse()?;
            let cites = raw_body.cites.unwrap_or_else(|| code.articles().to_vec());
            if let Some(article) = cites.iter().find(|a| !code.articles().contains(a)) {
                return Err(TemplateError::ForeignArticle {
                    code,
                    article: article.clone(),
                });
            }
            let mut required = Vec::new();
            if !cites.is_empty() {
                required.push(Slot::Articles);
            }
            if raw_body.when == Some(Condition::OtherAgency) {
                required.push(Slot::OtherAgency);
            }
            let part = match raw_body.when {
                None => format!("办理结果「{code}」的正文"),
                Some(when) => format!("办理结果「{code}」（{when}）的正文"),
            };
            let slots = check_part(&part, &raw_body.text, &required)?;
            let body = Body {
                when: raw_body.when,
                code,
                cites,
                places_reply: slots.contains(&Slot::Reply),
                text: raw_body.text,
            };
            let duplicate = |condition: &str| TemplateError::DuplicateBody {
                code,
                condition: condition.to_string(),
            };
            let when = body.when;
            match when {
                None if defaults[code.index()].is_some() => return Err(duplicate("默认")),
                None => defaults[code.index()] = Some(body),
                Some(when)
                    if variants
                        .iter()
                        .any(|v| v.code == code && v.when == Some(when)) =>
                {
                    return Err(duplicate(&when.to_string()));
                }
                Some(_) => variants.push(body),
            }
        }

        let defaults = defaults
            .into_iter()
            .zip(OutcomeCode::ALL)
            .map(|(body, code)| body.ok_or(TemplateError::MissingBody(*code)))
            .collect::<Result<Vec<Body>, _>>()?;
        for code in OutcomeCode::ALL {
            let cited = |article: &String| {
                std::iter::once(&defaults[code.index()])
                    .chain(variants.iter().filter(|v| v.code == *code))
                    .any(|b| b.cites.contains(article))
            };
            if let Some(article) = code.articles().iter().find(|a| !cited(a)) {
                return Err(TemplateError::UncitedArticle {
                    code: *code,
                    article: article.clone(),
                });
            }
        }
        Ok(Templates {
            frame,
            defaults,
            variants,
        })
    }

    /// The templates shipped with ogi ([`TEMPLATES_TOML`]).
    pub fn shipped() -> &'static Templates {
        static SHIPPED: OnceLock<Templates> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            Templates::parse(TEMPLATES_TOML).expect("the shipped letter templates are valid")
        })
    }

    fn body_for(&self, facts: &LetterFacts) -> &Body {
        self.variants
            .iter()
            .find(|v| v.code == facts.outcome && v.when.is_some_and(|c| c.holds(facts)))
            .unwrap_or(&self.defaults[facts.outcome.index()])
    }

    /// Render the reply letter of a case.
    pub fn render(&self, letterhead: &AgencyLetterhead, facts: &LetterFacts) -> ReplyLetter {
        let body = self.body_for(facts);
        let values = Values {
            letterhead,
            facts,
            cites: &body.cites,
        };
        let agency = one_line(&letterhead.name);
        let remedy = if review_comes_first(facts.outcome) {
            &self.frame.remedy_review_first
        } else {
            &self.frame.remedy
        };
        let reply = if body.places_reply {
            Vec::new()
        } else {
            paragraphs(&facts.reply_text)
        };

        let mut lines: Vec<String> = vec![
            agency.clone(),
            values.fill(&self.frame.title),
            one_line(&facts.document_number),
            values.fill(&self.frame.salutation),
            values.fill(&self.frame.opening),
            values.fill(&self.frame.transition),
        ];
        lines.extend(paragraphs(&values.fill(&body.text)));
        lines.extend(reply);
        lines.push(values.fill(remedy));
        lines.push(agency);
        lines.push(chinese_date(facts.replied_on));
        lines.retain(|line| !line.is_empty());

        ReplyLetter {
            title: values.fill(&self.frame.title),
            text: lines.join("\n"),
        }
    }
}

/// The values of the placeholders for one letter.
struct Values<'a> {
    letterhead: &'a AgencyLetterhead,
    facts: &'a LetterFacts,
    cites: &'a [String],
}

impl Values<'_> {
    fn value(&self, slot: Slot) -> Option<String> {
        let facts = self.facts;
        let letterhead = self.letterhead;
        match slot {
            Slot::Applicant => non_blank(&one_line(&facts.applicant_name)),
            Slot::Received => Some(chinese_date(facts.received_on)),
            Slot::Request => non_blank(&one_line(&facts.request_description)),
            Slot::ReviewOrgan => Some(
                non_blank(&one_line(&letterhead.review_organ))
                    .unwrap_or_else(|| DEFAULT_REVIEW_ORGAN.to_string()),
            ),
            Slot::Court => Some(
                non_blank(&one_line(&letterhead.court))
                    .unwrap_or_else(|| DEFAULT_COURT.to_string()),
            ),
            Slot::Articles => {
                (!self.cites.is_empty()).then(|| format!("{REGULATIONS}{}", self.cites.join("、")))
            }
            Slot::Basis => non_blank(&phrase(&facts.legal_basis)),
            Slot::Reply => non_blank(&paragraphs(&facts.reply_text).join("\n")),
            Slot::OtherAgency => facts
                .other_agency
                .as_deref()
                .and_then(|a| non_blank(&phrase(a))),
            Slot::Fee => facts.fee_amount_yuan.as_deref().and_then(fee_text),
        }
    }

    fn fill(&self, template: &str) -> String {
        let Ok(pieces) = pieces(template) else {
            return template.to_string();
        };
        pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.to_string(),
                Piece::Slot(slot, fallback) => self
                    .value(slot)
                    .unwrap_or_else(|| fallback.unwrap_or_default().to_string()),
            })
            .collect()
    }
}

/// `Some` for text that is not blank.
fn non_blank(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Text on one line: its lines trimmed and joined by a space.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text placed inside a sentence: on one line, without closing punctuation.
fn phrase(text: &str) -> String {
    one_line(text)
        .trim_end_matches(['。', '；', ';', '，', ','])
        .to_string()
}

/// The non-blank lines of a text, trimmed.
fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A fee amount as the letter prints it, e.g. `300.00元`.
fn fee_text(amount: &str) -> Option<String> {
    let amount = amount.trim().trim_end_matches('元').trim();
    if amount.is_empty() {
        return None;
    }
    Some(match fees::parse_yuan(amount) {
        Ok(yuan) => format!("{}元", fees::format_yuan(yuan)),
        Err(_) => format!("{amount}元"),
    })
}

/// The characters that end an administrative division's name (省、市、区、县…).
const DIVISION_ENDS: [char; 7] = ['省', '市', '州', '盟', '区', '县', '旗'];
/// Words that end like a division but are part of an organ's name.
const NOT_DIVISIONS: [&str; 3] = ["城市", "社区", "园区"];
/// The longest division name considered (黔东南苗族侗族自治州).
const MAX_DIVISION_CHARS: usize = 10;

/// Split an agency name into its leading administrative divisions and the organ:
/// `遂宁市安居区教育局` → (`遂宁市`, `安居区`), `教育局`.
fn split_divisions(name: &str) -> (Vec<String>, String) {
    let chars: Vec<char> = name.chars().collect();
    let mut divisions = Vec::new();
    let mut start = 0;
    while let Some(end) = (start + 1..chars.len().min(start + MAX_DIVISION_CHARS))
        .find(|&i| DIVISION_ENDS.contains(&chars[i]))
    {
        let division: String = chars[start..=end].iter().collect();
        if NOT_DIVISIONS.contains(&division.as_str()) {
            break;
        }
        divisions.push(division);
        start = end + 1;
    }
    (divisions, chars[start..].iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERAL_REMEDY: &str = "如对本答复不服，可以自收到本答复之日起六十日内向遂宁市人民政府申请行政复议，或者自知道或者应当知道作出本答复之日起六个月内向遂宁市船山区人民法院提起行政诉讼。";
    const REVIEW_FIRST_REMEDY: &str = "如对本答复不服，可以自收到本答复之日起六十日内向遂宁市人民政府申请行政复议；对行政复议决定不服的，可以依法向人民法院提起行政诉讼。";

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn letterhead() -> AgencyLetterhead {
        AgencyLetterhead {
            name: "遂宁市安居区人民政府".into(),
            document_prefix: "安府信公".into(),
            review_organ: "遂宁市人民政府".into(),
            court: "遂宁市船山区人民法院".into(),
        }
    }

    fn facts(outcome: OutcomeCode) -> LetterFacts {
        LetterFacts {
            outcome,
            applicant_name: "张三".into(),
            received_on: date(2024, 4, 2),
            request_description: "2023年安居区城区道路改造项目的立项批复文件".into(),
            replied_on: date(2024, 4, 20),
            document_number: document_number("安府信公", 2024, 17),
            legal_basis: String::new(),
            reply_text: String::new(),
            other_agency: None,
            fee_amount_yuan: None,
        }
    }

    fn letter(facts: &LetterFacts) -> String {
        render(&letterhead(), facts).text
    }

    /// Every way an outcome's letter can be worded: the default and each variant.
    fn all_wordings(outcome: OutcomeCode) -> Vec<LetterFacts> {
        let mut all = vec![facts(outcome)];
        if outcome == OutcomeCode::Disclosed {
            all.push(LetterFacts {
                legal_basis: "《中华人民共和国政府信息公开条例》第三十六条第（一）项".into(),
                reply_text: "该文件已在本机关门户网站公开。".into(),
                ..facts(outcome)
            });
        }
        if outcome == OutcomeCode::UnavailableNotHeld {
            all.push(LetterFacts {
                other_agency: Some("遂宁市自然资源和规划局".into()),
                ..facts(outcome)
            });
        }
        all
    }

    /// A sentence of reply-letters.md as a letter prints it: the first citation of the
    /// Regulations names them in full.
    fn as_printed(spec_sentence: &str) -> String {
        spec_sentence.replacen("根据第", &format!("根据{REGULATIONS}第"), 1)
    }

    /// reply-letters.md of the upstream spec, when it is beside the repository.
    fn shared_spec() -> Option<String> {
        crate::upstream::read("letters", "spec/reply-letters.md")
    }

    #[test]
    fn shipped_templates_are_valid() {
        let templates = Templates::parse(TEMPLATES_TOML).unwrap();
        assert_eq!(templates.defaults.len(), 21);
        for (body, code) in templates.defaults.iter().zip(OutcomeCode::ALL) {
            assert_eq!(body.code, *code);
        }
    }

    #[test]
    fn document_number_format() {
        assert_eq!(
            document_number("安府信公", 2024, 17),
            "安府信公〔2024〕17号"
        );
        assert_eq!(document_number("安府信公", 2025, 1), "安府信公〔2025〕1号");
        assert_eq!(
            document_number(" 遂教信公 ", 2024, 120),
            "遂教信公〔2024〕120号"
        );
    }

    #[test]
    fn chinese_dates_have_no_leading_zeros() {
        assert_eq!(chinese_date(date(2024, 4, 20)), "2024年4月20日");
        assert_eq!(chinese_date(date(2024, 12, 1)), "2024年12月1日");
    }

    #[test]
    fn every_outcome_states_the_facts_and_cites_its_articles() {
        for outcome in OutcomeCode::ALL {
            let letters: Vec<String> = all_wordings(*outcome).iter().map(letter).collect();
            for text in &letters {
                let lines: Vec<&str> = text.lines().collect();
                assert_eq!(lines[0], "遂宁市安居区人民政府", "{outcome}");
                assert_eq!(lines[1], "政府信息公开申请答复书", "{outcome}");
                assert_eq!(lines[2], "安府信公〔2024〕17号", "{outcome}");
                assert_eq!(lines[3], "张三：", "{outcome}");
                assert_eq!(
                    lines[4],
                    "本机关于2024年4月2日收到您（单位）提交的政府信息公开申请，申请获取“2023年安居区城区道路改造项目的立项批复文件”。",
                    "{outcome}"
                );
                assert_eq!(lines[5], "经审查，现答复如下：", "{outcome}");
                let n = lines.len();
                assert!(n >= 10, "{outcome}: {text}");
                assert!(lines[n - 3].starts_with("如对本答复不服"), "{outcome}");
                assert!(lines[n - 3].contains("遂宁市人民政府"), "{outcome}");
                assert_eq!(lines[n - 2], "遂宁市安居区人民政府", "{outcome}");
                assert_eq!(lines[n - 1], "2024年4月20日", "{outcome}");
            }
            for article in outcome.articles() {
                assert!(
                    letters.iter().any(|l| l.contains(article.as_str())),
                    "{outcome} does not cite {article}"
                );
            }
            // Outcomes with a single wording cite all their articles in that letter.
            if letters.len() == 1 && !outcome.articles().is_empty() {
                let cited = format!("{REGULATIONS}{}", outcome.articles().join("、"));
                assert!(letters[0].contains(&cited), "{outcome}: {}", letters[0]);
            }
        }
    }

    #[test]
    fn review_first_exactly_for_refusals_under_articles_14_to_16() {
        let expected = [
            OutcomeCode::WithheldStateSecret,
            OutcomeCode::WithheldProhibitedByLaw,
            OutcomeCode::WithheldThreeSafetiesOneStability,
            OutcomeCode::WithheldThirdPartyRights,
            OutcomeCode::WithheldInternalAffairs,
            OutcomeCode::WithheldProcessInformation,
            OutcomeCode::WithheldEnforcementCaseFile,
        ];
        for outcome in OutcomeCode::ALL {
            let first = expected.contains(outcome);
            assert_eq!(review_comes_first(*outcome), first, "{outcome}");
            let by_article = outcome.articles().iter().any(|a| {
                ["第十四条", "第十五条", "第十六条"]
                    .iter()
                    .any(|p| a.starts_with(p))
            });
            assert_eq!(
                by_article, first,
                "{outcome}: the list follows the articles"
            );
            for facts in all_wordings(*outcome) {
                let text = letter(&facts);
                assert_eq!(text.contains(REVIEW_FIRST_REMEDY), first, "{outcome}");
                assert_eq!(text.contains(GENERAL_REMEDY), !first, "{outcome}");
                assert_eq!(text.contains("对行政复议决定不服的"), first, "{outcome}");
                assert_eq!(text.contains("六个月内"), !first, "{outcome}");
            }
        }
    }

    #[test]
    fn remedy_wording_is_the_spec_wording() {
        let Some(spec) = shared_spec() else {
            return;
        };
        let spec = spec.replace("\n  ", "");
        for remedy in [GENERAL_REMEDY, REVIEW_FIRST_REMEDY] {
            let template = remedy
                .replace("遂宁市人民政府", "{复议机关}")
                .replace("遂宁市船山区人民法院", "{人民法院}");
            assert!(
                spec.contains(&template),
                "not in reply-letters.md: {template}"
            );
        }
    }

    #[test]
    fn fixed_sentences_of_the_spec_are_printed() {
        // Every body of reply-letters.md's table without a `{field}` is printed verbatim.
        let Some(spec) = shared_spec() else {
            return;
        };
        let mut checked = 0;
        for row in spec.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = row.split(" | ").collect();
            let code = cells[0].trim_start_matches("| `").trim_end_matches('`');
            let outcome: OutcomeCode = code.parse().unwrap();
            let body = cells[1].split(" — ").next().unwrap().trim_end_matches(" |");
            if body.contains('{') {
                continue;
            }
            let text = letter(&facts(outcome));
            assert!(text.contains(&as_printed(body)), "{code}: {text}");
            checked += 1;
        }
        assert!(checked >= 5, "only {checked} fixed sentences found");
    }

    #[test]
    fn sentences_with_fields_follow_the_spec() {
        let text = letter(&LetterFacts {
            legal_basis: "《中华人民共和国档案法》第二十八条。".into(),
            ..facts(OutcomeCode::WithheldProhibitedByLaw)
        });
        assert!(text.contains(&as_printed(
            "您申请获取的信息属于《中华人民共和国档案法》第二十八条禁止公开的信息，根据第十四条的规定，不予公开。"
        )));
        let text = letter(&facts(OutcomeCode::WithheldProhibitedByLaw));
        assert!(text.contains("属于法律、行政法规禁止公开的信息"));

        let text = letter(&facts(OutcomeCode::Disclosed));
        assert!(text.contains(
            "您申请获取的政府信息属于公开范围。根据《中华人民共和国政府信息公开条例》第三十六条第（二）项的规定，现向您提供（见附件）。"
        ));
        assert!(!text.contains("第三十六条第（一）项"));

        let text = letter(&all_wordings(OutcomeCode::Disclosed)[1]);
        assert!(text.contains(
            "该信息已经主动公开，根据《中华人民共和国政府信息公开条例》第三十六条第（一）项的规定"
        ));
        assert!(text.contains("该文件已在本机关门户网站公开。"));

        let text = letter(&facts(OutcomeCode::WithheldThirdPartyRights));
        assert!(text.contains(
            "根据《中华人民共和国政府信息公开条例》第十五条、第三十二条的规定，不予公开。"
        ));

        let text = letter(&facts(OutcomeCode::NotProcessedExcessive));
        assert!(
            text.contains("根据《中华人民共和国政府信息公开条例》第三十五条的规定，不予处理。")
        );

        let text = letter(&facts(OutcomeCode::OtherCorrectionOverdue));
        assert!(text.contains("视为您放弃申请，本机关不再处理该申请。"));
    }

    #[test]
    fn not_held_names_the_other_agency_or_says_it_does_not_exist() {
        let absent = letter(&facts(OutcomeCode::UnavailableNotHeld));
        assert!(absent.contains(&as_printed(
            "经检索，本机关没有制作或者获取您申请的信息，根据第三十六条第（四）项的规定，告知您该政府信息不存在。"
        )));
        assert!(!absent.contains("第三十六条第（五）项"));
        assert!(!absent.contains("请向"));

        let elsewhere = letter(&LetterFacts {
            other_agency: Some("遂宁市自然资源和规划局（联系电话：0825-1234567）".into()),
            ..facts(OutcomeCode::UnavailableNotHeld)
        });
        assert!(elsewhere.contains(&as_printed(
            "您申请获取的信息不属于本机关负责公开，根据第三十六条第（五）项的规定，请向遂宁市自然资源和规划局（联系电话：0825-1234567）申请。"
        )));
        assert!(!elsewhere.contains("第三十六条第（四）项"));
        assert!(!elsewhere.contains("不存在"));

        // A blank agency is no agency.
        let blank = LetterFacts {
            other_agency: Some("  ".into()),
            ..facts(OutcomeCode::UnavailableNotHeld)
        };
        assert_eq!(letter(&blank), absent);
        assert_eq!(blank.check(), Err(LetterError::BlankOtherAgency));
    }

    #[test]
    fn reply_text_follows_the_body_and_is_the_body_of_other() {
        let text = letter(&LetterFacts {
            reply_text: "附件：立项批复文件（共3页）\n\n请于收到本答复后查收。".into(),
            ..facts(OutcomeCode::Disclosed)
        });
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[6].starts_with("您申请获取的政府信息属于公开范围"));
        assert_eq!(lines[7], "附件：立项批复文件（共3页）");
        assert_eq!(lines[8], "请于收到本答复后查收。");
        assert!(lines[9].starts_with("如对本答复不服"));

        let other = LetterFacts {
            reply_text: "经审批，本机关决定如下：……".into(),
            ..facts(OutcomeCode::OtherOther)
        };
        let text = letter(&other);
        assert_eq!(text.matches("经审批，本机关决定如下：……").count(), 1);
        assert!(!text.contains("本机关已依法对您的申请作出处理"));
        assert_eq!(other.check(), Ok(()));
        assert_eq!(
            facts(OutcomeCode::OtherOther).check(),
            Err(LetterError::MissingReplyText(OutcomeCode::OtherOther))
        );
    }

    #[test]
    fn fee_overdue_states_the_amount_when_known() {
        let text = letter(&LetterFacts {
            fee_amount_yuan: Some("300".into()),
            ..facts(OutcomeCode::OtherFeeOverdue)
        });
        assert!(text.contains("您逾期未缴纳信息处理费300.00元。"));
        assert!(
            text.contains("第四十二条和《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）")
        );
        let text = letter(&facts(OutcomeCode::OtherFeeOverdue));
        assert!(text.contains("您逾期未缴纳信息处理费。"));
    }

    #[test]
    fn empty_letterhead_fields_fall_back_to_defaults() {
        let head = AgencyLetterhead {
            review_organ: String::new(),
            court: " ".into(),
            ..letterhead()
        };
        let text = render(&head, &facts(OutcomeCode::Disclosed)).text;
        assert!(text.contains("向上一级人民政府申请行政复议"));
        assert!(text.contains("向有管辖权的人民法院提起行政诉讼"));
    }

    #[test]
    fn the_registry_overrides_the_prefix_and_the_review_organ() {
        let registered = RegisteredLetterhead {
            letter_prefix: "安居府信公".into(),
            reconsideration_body: "遂宁市司法局".into(),
        };
        let head =
            AgencyLetterhead::default_for("遂宁市安居区人民政府").with_registered(&registered);
        assert_eq!(head.document_prefix, "安居府信公");
        assert_eq!(head.review_organ, "遂宁市司法局");
        let text = render(&head, &facts(OutcomeCode::Disclosed)).text;
        assert!(text.contains("向遂宁市司法局申请行政复议"), "{text}");
        // Nothing registered: the settings stand.
        let head = AgencyLetterhead::default_for("遂宁市安居区人民政府")
            .with_registered(&RegisteredLetterhead::default());
        assert_eq!(head, AgencyLetterhead::default_for("遂宁市安居区人民政府"));
    }

    #[test]
    fn letterhead_defaults_from_the_name() {
        let head = AgencyLetterhead::default_for("遂宁市安居区人民政府");
        assert_eq!(head.name, "遂宁市安居区人民政府");
        assert_eq!(head.document_prefix, "安府信公");
        assert_eq!(head.review_organ, "遂宁市人民政府");
        assert_eq!(head.court, DEFAULT_COURT);

        let head = AgencyLetterhead::default_for("遂宁市安居区教育局");
        assert_eq!(head.document_prefix, "安教信公");
        assert_eq!(head.review_organ, "遂宁市安居区人民政府");

        let head = AgencyLetterhead::default_for("遂宁市安居区人民政府办公室");
        assert_eq!(head.document_prefix, "安府办信公");
        assert_eq!(head.review_organ, "遂宁市安居区人民政府");

        let head = AgencyLetterhead::default_for("遂宁市城市管理行政执法局");
        assert_eq!(head.document_prefix, "遂城信公");
        assert_eq!(head.review_organ, "遂宁市人民政府");

        let head = AgencyLetterhead::default_for("安居区人民政府");
        assert_eq!(head.review_organ, DEFAULT_REVIEW_ORGAN);
        let head = AgencyLetterhead::default_for("国家统计局");
        assert_eq!(head.document_prefix, "国信公");
        assert_eq!(head.review_organ, "本级人民政府");
    }

    #[test]
    fn facts_are_checked() {
        assert_eq!(facts(OutcomeCode::Disclosed).check(), Ok(()));
        let early = LetterFacts {
            replied_on: date(2024, 4, 1),
            ..facts(OutcomeCode::Disclosed)
        };
        assert_eq!(
            early.check().unwrap_err().to_string(),
            "答复日期2024-04-01早于收到申请日期2024-04-02"
        );
        let nameless = LetterFacts {
            applicant_name: " ".into(),
            ..facts(OutcomeCode::Disclosed)
        };
        assert_eq!(nameless.check(), Err(LetterError::MissingApplicant));
        let public_nowhere = LetterFacts {
            legal_basis: "第三十六条第(一)项".into(),
            ..facts(OutcomeCode::Disclosed)
        };
        assert_eq!(public_nowhere.check(), Err(LetterError::MissingAccessRoute));
    }

    #[test]
    fn facts_round_trip_through_json() {
        let facts = LetterFacts {
            other_agency: Some("遂宁市自然资源和规划局".into()),
            fee_amount_yuan: Some("300.00".into()),
            ..facts(OutcomeCode::UnavailableNotHeld)
        };
        let json = serde_json::to_string(&facts).unwrap();
        assert!(json.contains("\"outcome\":\"unavailable.not_held\""));
        assert!(json.contains("\"received_on\":\"2024-04-02\""));
        assert_eq!(serde_json::from_str::<LetterFacts>(&json).unwrap(), facts);
        let head = letterhead();
        let json = serde_json::to_string(&head).unwrap();
        assert_eq!(
            serde_json::from_str::<AgencyLetterhead>(&json).unwrap(),
            head
        );
    }

    #[test]
    fn edited_templates_must_keep_the_required_content() {
        let without = |from: &str, to: &str| {
            let edited = TEMPLATES_TOML.replacen(from, to, 1);
            assert_ne!(edited, TEMPLATES_TOML, "{from} not in the templates");
            Templates::parse(&edited).unwrap_err()
        };
        assert!(matches!(
            without("向{人民法院}提起", "向法院提起"),
            TemplateError::MissingPlaceholder {
                slot: "人民法院",
                ..
            }
        ));
        assert!(matches!(
            without(
                "依法确定为国家秘密，根据{条款}的规定",
                "依法确定为国家秘密，依法"
            ),
            TemplateError::MissingPlaceholder { slot: "条款", .. }
        ));
        assert!(matches!(
            without("{申请人}：", "{申请者}："),
            TemplateError::BadPlaceholder { .. }
        ));
        assert!(matches!(
            without(
                "code = \"withheld.enforcement_case_file\"",
                "code = \"withheld.enforcement_case_file\"\ncites = [\"第十四条\"]"
            ),
            TemplateError::ForeignArticle { .. }
        ));
        assert!(matches!(
            without(
                "cites = [\"第三十六条第（五）项\"]",
                "cites = [\"第三十六条第（四）项\"]"
            ),
            TemplateError::UncitedArticle { .. }
        ));
        assert!(matches!(
            without("code = \"other.other\"", "code = \"other.others\""),
            TemplateError::UnknownCode(_)
        ));
        let err = without(
            "code = \"other.fee_overdue\"",
            "code = \"other.correction_overdue\"",
        );
        assert!(matches!(err, TemplateError::DuplicateBody { .. }), "{err}");
        assert_eq!(
            Templates::parse("[frame]\n")
                .unwrap_err()
                .to_string()
                .split('：')
                .next(),
            Some("答复书模板不是有效的 TOML")
        );
    }

    #[test]
    fn edited_wording_is_used() {
        let edited = TEMPLATES_TOML.replace("现向您提供（见附件）", "现将该信息随本答复书一并寄送");
        let templates = Templates::parse(&edited).unwrap();
        let text = templates
            .render(&letterhead(), &facts(OutcomeCode::Disclosed))
            .text;
        assert!(text.contains("现将该信息随本答复书一并寄送。"));
    }
}
