//! The proactive-disclosure catalogue (主动公开目录) the publishing service keeps: documents
//! entered (imported, corrected) and repealed, each change written with its event to the
//! outbox in one transaction (`catalogue.document_recorded`, `catalogue.document_repealed`), so
//! that the reporting service keeps its own projection.
//!
//! Permissions (when accounts are checked): entering is the agency office's; reading is for
//! everyone whose scope includes the agency. Every request names its agency.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use ogi_core::catalogue::{CatalogueDocument, DocumentKind};
use ogi_core::limits::text;
use ogi_platform::bus;
use ogi_platform::catalogue::{event_key, from_message_in, to_message};
use ogi_platform::convert;
use ogi_platform::error::ServiceError;
use ogi_platform::events::{self, EventContext};
use ogi_platform::runtime::ServiceContext;
use ogi_platform::store::entities::catalogue_documents as documents;
use ogi_proto::v1::{self as pb, event_envelope::Payload};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

/// What entering a document did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entered {
    Added,
    Corrected,
    Unchanged,
}

impl Entered {
    pub fn code(self) -> &'static str {
        match self {
            Entered::Added => "added",
            Entered::Corrected => "corrected",
            Entered::Unchanged => "unchanged",
        }
    }
}

fn document(m: &documents::Model) -> Result<CatalogueDocument, ServiceError> {
    Ok(CatalogueDocument {
        agency: m.agency.clone(),
        kind: m
            .kind
            .parse()
            .map_err(|_| ServiceError::Internal(format!("stored kind {}", m.kind)))?,
        number: m.number.clone(),
        title: m.title.clone(),
        issued_on: m.issued_on,
        published_on: m.published_on,
        valid_until: m.valid_until,
        repealed_on: m.repealed_on,
        repealed_by: m.repealed_by.clone(),
        url: m.url.clone(),
    })
}

fn row(d: &CatalogueDocument, version: i64) -> documents::ActiveModel {
    documents::ActiveModel {
        agency: Set(d.agency.clone()),
        number: Set(d.number.clone()),
        kind: Set(d.kind.code().into()),
        title: Set(d.title.clone()),
        issued_on: Set(d.issued_on),
        published_on: Set(d.published_on),
        valid_until: Set(d.valid_until),
        repealed_on: Set(d.repealed_on),
        repealed_by: Set(d.repealed_by.clone()),
        url: Set(d.url.clone()),
        version: Set(version),
        updated_at: Set(Utc::now()),
    }
}

async fn find<C: ConnectionTrait>(
    db: &C,
    agency: &str,
    number: &str,
) -> Result<Option<(CatalogueDocument, i64)>, ServiceError> {
    match documents::Entity::find_by_id((agency.to_string(), number.to_string()))
        .one(db)
        .await?
    {
        Some(m) => Ok(Some((document(&m)?, m.version))),
        None => Ok(None),
    }
}

/// Write the document's event to the outbox.
async fn announce<C: ConnectionTrait>(
    db: &C,
    actor: &str,
    legal_date: NaiveDate,
    version: i64,
    payload: Payload,
    d: &CatalogueDocument,
) -> Result<(), ServiceError> {
    let ctx = EventContext {
        case_id: event_key(&d.agency, &d.number),
        agency: d.agency.clone(),
        actor: actor.to_string(),
    };
    bus::append_outbox(
        db,
        &events::envelope(&ctx, legal_date, version as u64, payload),
    )
    .await?;
    Ok(())
}

/// Enter one document: a new number is added; a known one with other fields is corrected
/// (a repeal already recorded is kept when the record has none: an import of last year's file
/// does not undo this year's repeal); the same record again changes nothing.
pub async fn enter<C: ConnectionTrait>(
    db: &C,
    actor: &str,
    mut d: CatalogueDocument,
) -> Result<(Entered, CatalogueDocument), ServiceError> {
    let existing = find(db, &d.agency, &d.number).await?;
    let (entered, version) = match &existing {
        None => (Entered::Added, 1),
        Some((known, version)) => {
            if d.repealed_on.is_none() && known.repealed_on.is_some() {
                d.repealed_on = known.repealed_on;
                d.repealed_by = known.repealed_by.clone();
            }
            if *known == d {
                return Ok((Entered::Unchanged, d));
            }
            (Entered::Corrected, version + 1)
        }
    };
    if let Err(errors) = d.check() {
        let reasons: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        return Err(ServiceError::invalid(
            "documents",
            format!("文号「{}」：{}", d.number, reasons.join("；")),
        ));
    }
    match entered {
        Entered::Added => {
            documents::Entity::insert(row(&d, version))
                .exec_without_returning(db)
                .await?;
        }
        _ => {
            row(&d, version).update(db).await?;
        }
    }
    announce(
        db,
        actor,
        d.published_on.unwrap_or(d.issued_on),
        version,
        Payload::CatalogueDocumentRecorded(pb::CatalogueDocumentRecorded {
            document: Some(to_message(&d)),
            correction: entered == Entered::Corrected,
        }),
        &d,
    )
    .await?;
    Ok((entered, d))
}

/// `ImportCatalogue`: every document checked first, then all entered in one transaction.
pub async fn import(
    ctx: &ServiceContext,
    req: pb::ImportCatalogueRequest,
) -> Result<pb::ImportCatalogueResponse, ServiceError> {
    let actor = req.context.as_ref().map(|c| c.actor.as_str()).unwrap_or("");
    let actor = convert::text("context.actor", text::ACTOR, actor)?;
    let actor = if actor.trim().is_empty() {
        "unknown".to_string()
    } else {
        actor.to_string()
    };
    let mut parsed = Vec::with_capacity(req.documents.len());
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (i, m) in req.documents.iter().enumerate() {
        let d = from_message_in(&format!("documents[{i}]"), m)?;
        if let Some(first) = seen.insert((d.agency.clone(), d.number.clone()), i) {
            return Err(ServiceError::invalid(
                format!("documents[{i}].number"),
                format!("文号「{}」与第{}份文件重复", d.number, first + 1),
            ));
        }
        parsed.push(d);
    }
    let txn = ctx.db.begin().await?;
    let mut results = Vec::with_capacity(parsed.len());
    let mut changed = false;
    for d in parsed {
        let (entered, d) = enter(&txn, &actor, d).await?;
        changed |= entered != Entered::Unchanged;
        results.push(pb::DocumentImported {
            agency: d.agency,
            number: d.number,
            result: entered.code().into(),
        });
    }
    txn.commit().await?;
    if changed {
        ctx.published();
    }
    Ok(pb::ImportCatalogueResponse { results })
}

/// `RepealDocument`: the repeal takes effect on `context.on`.
pub async fn repeal(
    ctx: &ServiceContext,
    req: pb::RepealDocumentRequest,
) -> Result<pb::RepealDocumentResponse, ServiceError> {
    let (actor, on, command_id) = convert::context(&req.context)?;
    let fingerprint = convert::fingerprint("repeal_document", &req);
    let agency = convert::required_text("agency", text::AGENCY, &req.agency)?;
    let number = convert::required_text("number", text::DOCUMENT_NUMBER, &req.number)?;
    let repealed_by = Some(
        convert::text("repealed_by", text::DOCUMENT_NUMBER, &req.repealed_by)?
            .trim()
            .to_string(),
    )
    .filter(|s| !s.is_empty());
    let txn = ctx.db.begin().await?;
    let (mut d, version) = find(&txn, agency, number).await?.ok_or_else(|| {
        ServiceError::NotFound(format!("{agency}的主动公开目录中没有文号「{number}」"))
    })?;
    if convert::command_seen(&txn, &command_id, &fingerprint)
        .await?
        .is_some()
    {
        return Ok(pb::RepealDocumentResponse {
            document: Some(to_message(&d)),
            changed: false,
        });
    }
    if let Some(earlier) = d.repealed_on {
        if earlier == on && (repealed_by.is_none() || repealed_by == d.repealed_by) {
            return Ok(pb::RepealDocumentResponse {
                document: Some(to_message(&d)),
                changed: false,
            });
        }
        return Err(ServiceError::invalid(
            "context.on",
            format!(
                "文号「{number}」已于{earlier}废止{}，不能再登记{on}废止",
                d.repealed_by
                    .as_deref()
                    .map(|b| format!("（废止文件{b}）"))
                    .unwrap_or_default()
            ),
        ));
    }
    if on < d.issued_on {
        return Err(ServiceError::invalid(
            "context.on",
            format!("废止日期{on}早于成文日期{}", d.issued_on),
        ));
    }
    if repealed_by.as_deref() == Some(number) {
        return Err(ServiceError::invalid("repealed_by", "文件不能由其自身废止"));
    }
    d.repealed_on = Some(on);
    d.repealed_by = repealed_by;
    row(&d, version + 1).update(&txn).await?;
    announce(
        &txn,
        &actor,
        on,
        version + 1,
        Payload::CatalogueDocumentRepealed(pb::CatalogueDocumentRepealed {
            document: Some(to_message(&d)),
        }),
        &d,
    )
    .await?;
    convert::command_applied(&txn, &command_id, &fingerprint, None).await?;
    txn.commit().await?;
    ctx.published();
    Ok(pb::RepealDocumentResponse {
        document: Some(to_message(&d)),
        changed: true,
    })
}

/// An agency's documents, by kind, issue date and number.
pub async fn documents_of<C: ConnectionTrait>(
    db: &C,
    agency: &str,
    kind: Option<DocumentKind>,
) -> Result<Vec<CatalogueDocument>, ServiceError> {
    let mut query = documents::Entity::find().filter(documents::Column::Agency.eq(agency));
    if let Some(kind) = kind {
        query = query.filter(documents::Column::Kind.eq(kind.code()));
    }
    let rows = query
        .order_by_asc(documents::Column::IssuedOn)
        .order_by_asc(documents::Column::Number)
        .all(db)
        .await?;
    let mut out = rows.iter().map(document).collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|d| d.kind);
    Ok(out)
}

/// `ListCatalogue`.
pub async fn list(
    ctx: &ServiceContext,
    req: pb::ListCatalogueRequest,
) -> Result<pb::ListCatalogueResponse, ServiceError> {
    let agency = convert::required_text("agency", text::AGENCY, &req.agency)?;
    let kind = if req.kind.is_empty() {
        None
    } else {
        Some(convert::code::<DocumentKind>("kind", &req.kind)?)
    };
    let in_force_on = convert::optional_date("in_force_on", &req.in_force_on)?;
    let documents = documents_of(&ctx.db, agency, kind)
        .await?
        .into_iter()
        .filter(|d| in_force_on.is_none_or(|day| d.in_force_on(day)))
        .map(|d| to_message(&d))
        .collect();
    Ok(pb::ListCatalogueResponse { documents })
}
