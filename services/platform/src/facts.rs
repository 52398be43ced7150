//! The facts of an application that validation, approval and publishing keep beside their own
//! state, as the events carry them (identity number masked).

use chrono::NaiveDate;
use ogi_core::codes::ApplicantType;
use ogi_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::convert;
use crate::error::ServiceError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    pub agency: String,
    pub reference: String,
    pub receipt_number: String,
    pub received_on: NaiveDate,
    pub channel: String,
    pub applicant_type: ApplicantType,
    pub applicant_name: String,
    pub id_type: String,
    /// Masked (`510904********0038`).
    pub id_number: String,
    pub has_contact: bool,
    pub request_description: String,
    pub form: String,
    pub delivery: String,
}

impl CaseFacts {
    pub fn from_proto(app: &pb::Application) -> Result<CaseFacts, ServiceError> {
        let a = app.applicant.clone().unwrap_or_default();
        let r = app.request.clone().unwrap_or_default();
        let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        Ok(CaseFacts {
            agency: app.agency.clone(),
            reference: app.reference.clone(),
            receipt_number: app.receipt_number.clone(),
            received_on: convert::date("application.received_on", &app.received_on)?,
            channel: app.channel.clone(),
            applicant_type: convert::code("application.applicant.type", &a.r#type)?,
            applicant_name: a.name.clone(),
            id_type: a.id_type.clone(),
            id_number: a.id_number.clone(),
            has_contact: has(&a.phone) || has(&a.address) || has(&a.email),
            request_description: r.description,
            form: r.form,
            delivery: r.delivery,
        })
    }

    pub fn to_proto(&self, case_id: &str) -> pb::Application {
        pb::Application {
            case_id: case_id.to_string(),
            agency: self.agency.clone(),
            reference: self.reference.clone(),
            receipt_number: self.receipt_number.clone(),
            channel: self.channel.clone(),
            received_on: self.received_on.to_string(),
            applicant: Some(pb::Applicant {
                r#type: self.applicant_type.code().into(),
                name: self.applicant_name.clone(),
                id_type: self.id_type.clone(),
                id_number: self.id_number.clone(),
                phone: None,
                address: None,
                email: None,
            }),
            request: Some(pb::InformationRequest {
                description: self.request_description.clone(),
                form: self.form.clone(),
                delivery: self.delivery.clone(),
            }),
        }
    }
}
