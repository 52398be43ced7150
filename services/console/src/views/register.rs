//! 登记: a new application — channel, the receipt date (Art. 31), the applicant with the
//! GB 11643 / GB 32100 check as the number is typed, the request. On success the case page
//! opens with its receipt number and the screening suggestions.

use std::str::FromStr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use ogi_core::codes::{ApplicantType, Channel, IdType};
use ogi_proto::v1 as pb;
use serde::Deserialize;

use super::Header;
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub received_on: String,
    #[serde(default)]
    pub applicant_type: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_type: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub header: Header,
    pub form: RegisterForm,
    pub error: String,
    pub channels: Vec<(&'static str, &'static str)>,
    pub applicant_types: Vec<(&'static str, &'static str)>,
    pub id_types: Vec<(&'static str, &'static str)>,
}

/// The Chinese name of an identity document type.
pub fn id_type_label(t: IdType) -> &'static str {
    match t {
        IdType::ResidentIdCard => "居民身份证",
        IdType::UnifiedSocialCreditCode => "统一社会信用代码",
        IdType::Passport => "护照",
        IdType::Other => "其他证件",
    }
}

fn page_with(signed_in: &SignedIn, form: RegisterForm, error: String) -> RegisterPage {
    RegisterPage {
        header: Header::of(signed_in),
        form,
        error,
        channels: Channel::ALL.iter().map(|c| (c.code(), c.label())).collect(),
        applicant_types: ApplicantType::ALL
            .iter()
            .map(|t| (t.code(), t.column_label()))
            .collect(),
        id_types: IdType::ALL
            .iter()
            .map(|t| (t.code(), id_type_label(*t)))
            .collect(),
    }
}

pub async fn page(signed_in: SignedIn) -> RegisterPage {
    let form = RegisterForm {
        received_on: super::today_in_china().to_string(),
        channel: Channel::Online.code().to_string(),
        id_type: IdType::ResidentIdCard.code().to_string(),
        applicant_type: ApplicantType::NaturalPerson.code().to_string(),
        ..RegisterForm::default()
    };
    page_with(&signed_in, form, String::new())
}

pub async fn submit(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Form(form): Form<RegisterForm>,
) -> Response {
    let optional = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let request = pb::SubmitApplicationRequest {
        context: Some(pb::CommandContext {
            actor: signed_in.user.username.clone(),
            on: form.received_on.trim().to_string(),
            command_id: String::new(),
        }),
        agency: signed_in.user.agency.clone(),
        reference: String::new(),
        channel: form.channel.clone(),
        received_on: form.received_on.trim().to_string(),
        applicant: Some(pb::Applicant {
            r#type: form.applicant_type.clone(),
            name: form.name.trim().to_string(),
            id_type: form.id_type.clone(),
            id_number: form.id_number.trim().to_string(),
            phone: optional(&form.phone),
            address: optional(&form.address),
            email: optional(&form.email),
        }),
        request: Some(pb::InformationRequest {
            description: form.description.trim().to_string(),
            form: "electronic".to_string(),
            delivery: "email".to_string(),
        }),
        identity_check_warning_only: false,
    };
    let mut intake = state.services.intake.clone();
    match intake
        .submit_application(as_user(&signed_in.token, request))
        .await
    {
        Ok(r) => {
            let app = r.into_inner().application.unwrap_or_default();
            Redirect::to(&format!("/cases/{}?done=register", app.case_id)).into_response()
        }
        Err(status) => page_with(&signed_in, form, explain(&status)).into_response(),
    }
}

#[derive(Deserialize)]
pub struct IdCheckForm {
    #[serde(default)]
    id_type: String,
    #[serde(default)]
    id_number: String,
}

/// The identity number check as it is typed (htmx swaps this fragment beside the field).
pub async fn check_id(_signed_in: SignedIn, Form(f): Form<IdCheckForm>) -> Response {
    let number = f.id_number.trim();
    let text = match IdType::from_str(&f.id_type) {
        _ if number.is_empty() => String::new(),
        Ok(t @ (IdType::ResidentIdCard | IdType::UnifiedSocialCreditCode)) => {
            match ogi_core::identity::check_identity(t, number) {
                Ok(()) => format!("{}校验通过", id_type_label(t)),
                Err(e) => format!("{}有误：{e}", id_type_label(t)),
            }
        }
        _ => "该证件类型不做校验".to_string(),
    };
    let class = if text.contains("有误") {
        "error"
    } else {
        "muted"
    };
    let escaped = askama::filters::escape(&text, askama::filters::Html)
        .map(|e| e.to_string())
        .unwrap_or_default();
    axum::response::Html(format!(
        "<span id=\"id-check\" class=\"{class}\" role=\"status\">{escaped}</span>"
    ))
    .into_response()
}
