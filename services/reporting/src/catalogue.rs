//! The reporting service's projection of the catalogues (主动公开目录): the dates table 二
//! counts, per agency and document number, kept from publishing's `catalogue.*` events. Each
//! event carries the document as it now is and its version; an event older than the stored
//! version changes nothing, and the inbox makes a redelivery a no-op.

use ogi_core::catalogue::DocumentKind;
use ogi_core::catalogue::count::DocumentDates;
use ogi_platform::bus::{ConsumerSpec, EventHandler, HandlerError};
use ogi_platform::convert;
use ogi_platform::error::ServiceError;
use ogi_platform::events::Producer;
use ogi_platform::store::entities::report_catalogue;
use ogi_proto::v1::{self as pb, event_envelope::Payload};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set,
};

/// The durable consumer of the catalogue events.
pub fn consumer() -> ConsumerSpec {
    ConsumerSpec {
        durable: "reporting-catalogue".into(),
        stream: Producer::Publishing.stream(),
        subjects: vec!["ogi.publishing.catalogue.>".into()],
    }
}

/// A document's date as the event carries it (any year: catalogues reach back before 2008).
fn document_date(text: &str) -> Result<Option<chrono::NaiveDate>, HandlerError> {
    if text.is_empty() {
        return Ok(None);
    }
    ogi_core::limits::parse_iso_date(text)
        .map(Some)
        .map_err(|e| HandlerError::Reject(e.to_string()))
}

/// Keeps `report_catalogue` from the events.
pub struct CatalogueProjector;

#[async_trait::async_trait]
impl EventHandler for CatalogueProjector {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &pb::EventEnvelope,
    ) -> Result<(), HandlerError> {
        let document = match &event.payload {
            Some(Payload::CatalogueDocumentRecorded(r)) => r.document.as_ref(),
            Some(Payload::CatalogueDocumentRepealed(r)) => r.document.as_ref(),
            _ => return Err(HandlerError::Reject("not a catalogue event".into())),
        }
        .ok_or_else(|| HandlerError::Reject("catalogue event without its document".into()))?;
        let reject = |e: ServiceError| HandlerError::Reject(e.to_string());
        let kind: DocumentKind = convert::code("kind", &document.kind).map_err(reject)?;
        let version = event.case_version as i64;
        let stored = report_catalogue::Entity::find_by_id((
            document.agency.clone(),
            document.number.clone(),
        ))
        .one(txn)
        .await?;
        if stored.as_ref().is_some_and(|s| s.version >= version) {
            return Ok(());
        }
        let row = report_catalogue::ActiveModel {
            agency: Set(document.agency.clone()),
            number: Set(document.number.clone()),
            kind: Set(kind.code().into()),
            issued_on: Set(document_date(&document.issued_on)?.ok_or_else(|| {
                HandlerError::Reject("catalogue document without issued_on".into())
            })?),
            valid_until: Set(document_date(&document.valid_until)?),
            repealed_on: Set(document_date(&document.repealed_on)?),
            version: Set(version),
        };
        match stored {
            None => {
                report_catalogue::Entity::insert(row)
                    .exec_without_returning(txn)
                    .await?;
            }
            Some(_) => {
                row.update(txn).await?;
            }
        }
        Ok(())
    }
}

/// The catalogue of `agency` as table 二 counts it: its rules and normative documents, or
/// `None` when it keeps none (its table 二 is then entered by hand).
pub async fn kept_documents<C: ConnectionTrait>(
    db: &C,
    agency: &str,
) -> Result<Option<Vec<DocumentDates>>, ServiceError> {
    let rows = report_catalogue::Entity::find()
        .filter(report_catalogue::Column::Agency.eq(agency))
        .filter(report_catalogue::Column::Kind.is_in([
            DocumentKind::Rule.code(),
            DocumentKind::NormativeDocument.code(),
        ]))
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    rows.into_iter()
        .map(|r| {
            Ok(DocumentDates {
                kind: r
                    .kind
                    .parse()
                    .map_err(|_| ServiceError::Internal(format!("stored kind {}", r.kind)))?,
                issued_on: r.issued_on,
                valid_until: r.valid_until,
                repealed_on: r.repealed_on,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
