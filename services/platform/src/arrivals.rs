//! Waiting on the server for a case (`ogi.v1.CaseArrivalService/AwaitCase`): a caller that gave
//! a command to one service asks the next one to answer as soon as the case's event has been
//! applied there, instead of asking again and again (what `ogi import` did, 15–25 calls a case).
//!
//! The consumer loop tells [`CaseArrivals::changed`] which cases a commit touched; a waiting
//! call looks at its case file again only then, or when its deadline passes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ogi_core::access::Permission;
use ogi_proto::v1::{self as pb, case_arrival_service_server as server};
use sea_orm::{DatabaseConnection, EntityTrait};
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use crate::auth;
use crate::convert;
use crate::error::ServiceError;
use crate::store::entities::case_files;

/// The gRPC service name, for health and reflection.
pub const SERVICE_NAME: &str = "ogi.v1.CaseArrivalService";

/// The longest a call waits, and how long when the caller does not say.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// The longest stage code a caller may name.
const MAX_STAGE_CHARS: usize = 40;

/// The calls waiting for a case, by case id.
#[derive(Default)]
pub struct CaseArrivals {
    waiters: Mutex<HashMap<String, Arc<Notify>>>,
}

impl CaseArrivals {
    pub fn new() -> Arc<CaseArrivals> {
        Arc::new(CaseArrivals::default())
    }

    /// A commit changed these cases: wake the calls waiting for them.
    pub fn changed<'a>(&self, cases: impl IntoIterator<Item = &'a str>) {
        let waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if waiters.is_empty() {
            return;
        }
        for case in cases {
            if let Some(notify) = waiters.get(case) {
                notify.notify_waiters();
            }
        }
    }

    /// How many cases are waited for now.
    pub fn waiting(&self) -> usize {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn watch(&self, case: &str) -> Arc<Notify> {
        self.waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(case.to_string())
            .or_default()
            .clone()
    }

    fn unwatch(&self, case: &str, notify: Arc<Notify>) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        drop(notify);
        // Only the map holds it: nobody else waits for this case.
        if waiters.get(case).is_some_and(|n| Arc::strong_count(n) == 1) {
            waiters.remove(case);
        }
    }
}

/// `AwaitCase` over a service's `case_files`.
pub struct CaseArrivalService {
    db: DatabaseConnection,
    arrivals: Arc<CaseArrivals>,
}

impl CaseArrivalService {
    pub fn new(db: DatabaseConnection, arrivals: Arc<CaseArrivals>) -> Self {
        Self { db, arrivals }
    }

    /// The service, for a service's routes.
    pub fn server(self) -> server::CaseArrivalServiceServer<CaseArrivalService> {
        server::CaseArrivalServiceServer::new(self)
            .max_decoding_message_size(ogi_core::limits::GRPC_MAX_MESSAGE_BYTES)
    }

    /// Look until the case is here (at `stage`, if given) or `deadline` passes.
    async fn wait(
        &self,
        case_id: &str,
        stage: &str,
        deadline: tokio::time::Instant,
    ) -> Result<Option<case_files::Model>, ServiceError> {
        loop {
            let notify = self.arrivals.watch(case_id);
            let woken = {
                let notified = notify.notified();
                tokio::pin!(notified);
                // Registered before the look, so a commit in between still wakes us.
                notified.as_mut().enable();
                let found = case_files::Entity::find_by_id(case_id.to_string())
                    .one(&self.db)
                    .await;
                match found {
                    Ok(Some(file)) if stage.is_empty() || file.stage == stage => {
                        Some(Ok(Some(file)))
                    }
                    Ok(_) => tokio::select! {
                        _ = &mut notified => None,
                        _ = tokio::time::sleep_until(deadline) => Some(Ok(None)),
                    },
                    Err(error) => Some(Err(error.into())),
                }
            };
            self.arrivals.unwatch(case_id, notify);
            if let Some(result) = woken {
                return result;
            }
        }
    }
}

#[tonic::async_trait]
impl server::CaseArrivalService for CaseArrivalService {
    async fn await_case(
        &self,
        request: Request<pb::AwaitCaseRequest>,
    ) -> Result<Response<pb::AwaitCaseResponse>, Status> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        convert::case_id("case_id", &req.case_id)?;
        if req.stage.chars().count() > MAX_STAGE_CHARS {
            return Err(ServiceError::invalid(
                "stage",
                format!("阶段代码最多{MAX_STAGE_CHARS}个字符"),
            )
            .into());
        }
        let wait = match req.timeout_ms {
            0 => DEFAULT_WAIT,
            ms => Duration::from_millis(ms.into()).min(MAX_WAIT),
        };
        let deadline = tokio::time::Instant::now() + wait;
        match self.wait(&req.case_id, &req.stage, deadline).await? {
            Some(file) => {
                caller.authorize(Permission::CaseRead, &file.agency, &req.case_id)?;
                Ok(Response::new(pb::AwaitCaseResponse {
                    arrived: true,
                    stage: file.stage,
                }))
            }
            None => Ok(Response::new(pb::AwaitCaseResponse {
                arrived: false,
                stage: String::new(),
            })),
        }
    }
}
