//! Art. 44 candidates from the replies this service served (`ogi_core::catalogue::candidates`
//! finds the clusters), and publishing one to the catalogue in one step.

use chrono::Datelike;
use ogi_core::catalogue::candidates::{
    Candidate, CandidateRules, RepliedApplication, find_candidates,
};
use ogi_core::catalogue::{CatalogueDocument, DocumentKind};
use ogi_core::limits::text;
use ogi_platform::catalogue::to_message;
use ogi_platform::convert;
use ogi_platform::error::ServiceError;
use ogi_platform::runtime::ServiceContext;
use ogi_platform::store::entities::{case_files, catalogue_documents};
use ogi_proto::v1 as pb;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};

use crate::LetterFile;
use crate::catalogue::{self, Entered};

fn rules(min_applicants: u32, min_similarity: f64) -> Result<CandidateRules, ServiceError> {
    let mut rules = CandidateRules::default();
    if min_applicants > 0 {
        rules.min_applicants = min_applicants as usize;
    }
    if min_similarity != 0.0 {
        if !(0.0..=1.0).contains(&min_similarity) {
            return Err(ServiceError::invalid(
                "min_similarity",
                format!("相似度阈值{min_similarity}应在0到1之间"),
            ));
        }
        rules.min_similarity = min_similarity;
    }
    Ok(rules)
}

/// The replies served in `year` by `agency`.
async fn replied<C: ConnectionTrait>(
    db: &C,
    agency: &str,
    year: i32,
) -> Result<Vec<RepliedApplication>, ServiceError> {
    // A reply served in the year answers an application received by its end.
    let end = chrono::NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(|| ServiceError::invalid("year", format!("{year}不是有效年度")))?;
    let rows = case_files::Entity::find()
        .filter(case_files::Column::Agency.eq(agency))
        .filter(case_files::Column::Stage.eq("served"))
        .filter(case_files::Column::ReceivedOn.lte(end))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let file: LetterFile = serde_json::from_str(&row.state)
            .map_err(|e| ServiceError::Internal(format!("case file {}: {e}", row.case_id)))?;
        let Some((served_on, _)) = file.served else {
            continue;
        };
        if served_on.year() != year {
            continue;
        }
        out.push(RepliedApplication {
            case_id: row.case_id,
            applicant: file.facts.applicant_name.clone(),
            request: file.facts.request_description.clone(),
            outcome: file.facts.outcome,
            replied_on: served_on,
            document_number: file.facts.document_number.clone(),
        });
    }
    Ok(out)
}

fn application(a: &RepliedApplication) -> pb::CandidateApplication {
    pb::CandidateApplication {
        case_id: a.case_id.clone(),
        applicant_name: a.applicant.clone(),
        request: a.request.clone(),
        outcome_code: a.outcome.code().into(),
        replied_on: a.replied_on.to_string(),
        document_number: a.document_number.clone(),
    }
}

async fn candidates_of<C: ConnectionTrait>(
    db: &C,
    agency: &str,
    year: i32,
    rules: CandidateRules,
) -> Result<Vec<Candidate>, ServiceError> {
    Ok(find_candidates(&replied(db, agency, year).await?, rules))
}

/// `ListDisclosureCandidates`.
pub async fn list(
    ctx: &ServiceContext,
    req: pb::ListDisclosureCandidatesRequest,
) -> Result<pb::ListDisclosureCandidatesResponse, ServiceError> {
    let agency = convert::required_text("agency", text::AGENCY, &req.agency)?;
    convert::year("year", req.year)?;
    let rules = rules(req.min_applicants, req.min_similarity)?;
    let found = candidates_of(&ctx.db, agency, req.year, rules).await?;
    let mut candidates = Vec::with_capacity(found.len());
    for c in found {
        let published = catalogue_documents::Entity::find_by_id((agency.to_string(), c.id.clone()))
            .one(&ctx.db)
            .await?
            .filter(|d| d.kind == DocumentKind::ReleasedInformation.code());
        candidates.push(pb::DisclosureCandidate {
            id: c.id.clone(),
            request: c.request.clone(),
            applicants: c.applicants as u32,
            min_similarity: c.min_similarity,
            released_by: Some(application(&c.released_by)),
            applications: c.applications.iter().map(application).collect(),
            published_as: published.map(|d| d.number).unwrap_or_default(),
        });
    }
    Ok(pb::ListDisclosureCandidatesResponse { candidates })
}

/// `PublishCandidate`: the candidate, found again with the same thresholds, enters the
/// catalogue as `released_information`, made on the day of its releasing reply and published
/// on `context.on`. Publishing it again with the same fields changes nothing.
pub async fn publish(
    ctx: &ServiceContext,
    req: pb::PublishCandidateRequest,
) -> Result<pb::PublishCandidateResponse, ServiceError> {
    let (actor, on, _) = convert::context(&req.context)?;
    let agency = convert::required_text("agency", text::AGENCY, &req.agency)?;
    convert::year("year", req.year)?;
    let id = convert::required_text("candidate_id", text::DOCUMENT_NUMBER, &req.candidate_id)?;
    let rules = rules(req.min_applicants, req.min_similarity)?;
    let txn = ctx.db.begin().await?;
    let candidate = candidates_of(&txn, agency, req.year, rules)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| {
            ServiceError::invalid(
                "candidate_id",
                format!(
                    "{agency}{}年度没有编号为「{id}」的主动公开候选（用 ogi disclosure candidates 查看）",
                    req.year
                ),
            )
        })?;
    if on < candidate.released_by.replied_on {
        return Err(ServiceError::invalid(
            "context.on",
            format!(
                "公开日期{on}早于答复日期{}",
                candidate.released_by.replied_on
            ),
        ));
    }
    let title = Some(req.title.trim())
        .filter(|t| !t.is_empty())
        .map_or_else(|| candidate.request.clone(), str::to_string);
    let number = Some(req.number.trim())
        .filter(|n| !n.is_empty())
        .map_or_else(|| candidate.id.clone(), str::to_string);
    if let Some(known) =
        catalogue_documents::Entity::find_by_id((agency.to_string(), number.clone()))
            .one(&txn)
            .await?
        && known.kind != DocumentKind::ReleasedInformation.code()
    {
        return Err(ServiceError::invalid(
            "number",
            format!(
                "目录中已有文号「{number}」的文件（{}），请用 --number 另给文号",
                known.title
            ),
        ));
    }
    let document = CatalogueDocument {
        agency: agency.to_string(),
        kind: DocumentKind::ReleasedInformation,
        number,
        title,
        issued_on: candidate.released_by.replied_on,
        published_on: Some(on),
        valid_until: None,
        repealed_on: None,
        repealed_by: None,
        url: Some(req.url.trim().to_string()).filter(|u| !u.is_empty()),
    };
    let (entered, document) = catalogue::enter(&txn, &actor, document).await?;
    txn.commit().await?;
    if entered != Entered::Unchanged {
        ctx.published();
    }
    Ok(pb::PublishCandidateResponse {
        document: Some(to_message(&document)),
        result: entered.code().into(),
    })
}
