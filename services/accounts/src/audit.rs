//! The audit trail's storage: entries appended one writer at a time (a process lock, and on
//! PostgreSQL a transaction-scoped advisory lock for replicas), each hashed onto the last.
//! Nothing updates or deletes an entry.

use std::collections::HashSet;

use ogi_core::access::audit::{self, AuditEntry, AuditResult, ChainedEntry};
use ogi_proto::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};

use crate::entities::audit_log;

/// The advisory lock key of the audit chain ("ogi-audt").
const AUDIT_LOCK: i64 = 0x6f67_692d_6175_6474;

pub struct Chain {
    db: DatabaseConnection,
    turn: tokio::sync::Mutex<()>,
}

/// The time of an entry: now, RFC 3339 in China Standard Time.
pub fn now_cst() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("CST"))
        .to_rfc3339()
}

impl Chain {
    pub fn new(db: DatabaseConnection) -> Chain {
        Chain {
            db,
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Append entries (id, entry) in order; an id already recorded is skipped. Returns how
    /// many were appended.
    pub async fn append(&self, entries: Vec<(String, AuditEntry)>) -> Result<u32, sea_orm::DbErr> {
        let _turn = self.turn.lock().await;
        let txn = self.db.begin().await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [AUDIT_LOCK.into()],
            ))
            .await?;
        }
        let last = audit_log::Entity::find()
            .order_by_desc(audit_log::Column::Seq)
            .one(&txn)
            .await?;
        let (mut seq, mut prev) = last
            .map(|m| (m.seq, m.hash))
            .unwrap_or((0, audit::GENESIS.to_string()));
        let ids: Vec<String> = entries.iter().map(|(id, _)| id.clone()).collect();
        let mut seen: HashSet<String> = audit_log::Entity::find()
            .select_only()
            .column(audit_log::Column::EntryId)
            .filter(audit_log::Column::EntryId.is_in(ids))
            .into_tuple::<String>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let mut n = 0;
        for (id, e) in entries {
            if !seen.insert(id.clone()) {
                continue;
            }
            seq += 1;
            let hash = audit::entry_hash(&prev, &e);
            audit_log::ActiveModel {
                seq: Set(seq),
                entry_id: Set(id),
                at: Set(e.at),
                actor: Set(e.actor),
                agency: Set(e.agency),
                action: Set(e.action),
                case_id: Set(e.case),
                target_agency: Set(e.target_agency),
                result: Set(e.result.code().to_string()),
                reason: Set(e.reason),
                source: Set(e.source),
                prev_hash: Set(prev.clone()),
                hash: Set(hash.clone()),
            }
            .insert(&txn)
            .await?;
            prev = hash;
            n += 1;
        }
        txn.commit().await?;
        Ok(n)
    }

    /// One entry now (sign-ins, admin changes made here).
    pub async fn record(&self, entry: AuditEntry) {
        let id = uuid::Uuid::now_v7().to_string();
        if let Err(error) = self.append(vec![(id, entry)]).await {
            tracing::error!(%error, "audit entry not recorded");
        }
    }

    pub async fn list(
        &self,
        req: &pb::ListAuditRequest,
    ) -> Result<pb::ListAuditResponse, sea_orm::DbErr> {
        let mut q = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gt(req.after_seq))
            .order_by_asc(audit_log::Column::Seq);
        if !req.actor.is_empty() {
            q = q.filter(audit_log::Column::Actor.eq(req.actor.clone()));
        }
        if !req.agency.is_empty() {
            q = q.filter(
                Condition::any()
                    .add(audit_log::Column::Agency.eq(req.agency.clone()))
                    .add(audit_log::Column::TargetAgency.eq(req.agency.clone())),
            );
        }
        if !req.case_id.is_empty() {
            q = q.filter(audit_log::Column::CaseId.eq(req.case_id.clone()));
        }
        if !req.from.is_empty() {
            q = q.filter(audit_log::Column::At.gte(req.from.clone()));
        }
        if !req.to.is_empty() {
            // Every time of that day sorts before "YYYY-MM-DD~".
            q = q.filter(audit_log::Column::At.lt(format!("{}~", req.to)));
        }
        let size = match req.page_size {
            0 => 500,
            n => n.min(5000),
        } as u64;
        let rows = q.limit(size).all(&self.db).await?;
        let next = if rows.len() as u64 == size {
            rows.last().map(|r| r.seq).unwrap_or(0)
        } else {
            0
        };
        Ok(pb::ListAuditResponse {
            entries: rows.into_iter().map(to_proto).collect(),
            next_after_seq: next,
        })
    }

    /// Walk the whole chain from the first entry.
    pub async fn verify(&self) -> Result<pb::VerifyAuditResponse, sea_orm::DbErr> {
        let mut after = 0;
        let mut entries = Vec::new();
        loop {
            let rows = audit_log::Entity::find()
                .filter(audit_log::Column::Seq.gt(after))
                .order_by_asc(audit_log::Column::Seq)
                .limit(5000)
                .all(&self.db)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            for row in rows {
                let seq = row.seq;
                match chained(row) {
                    Some(e) => entries.push(e),
                    None => {
                        return Ok(pb::VerifyAuditResponse {
                            intact: false,
                            entries_checked: entries.len() as u64,
                            problem: format!("第{seq}条审计记录的结果无效（记录被修改）"),
                        });
                    }
                }
            }
        }
        Ok(match audit::verify_chain(&entries) {
            Ok(n) => pb::VerifyAuditResponse {
                intact: true,
                entries_checked: n as u64,
                problem: String::new(),
            },
            Err(e) => pb::VerifyAuditResponse {
                intact: false,
                entries_checked: entries.len() as u64,
                problem: e.to_string(),
            },
        })
    }
}

fn chained(m: audit_log::Model) -> Option<ChainedEntry> {
    let result = AuditResult::from_code(&m.result)?;
    Some(ChainedEntry {
        seq: m.seq,
        entry: AuditEntry {
            at: m.at,
            actor: m.actor,
            agency: m.agency,
            action: m.action,
            case: m.case_id,
            target_agency: m.target_agency,
            result,
            reason: m.reason,
            source: m.source,
        },
        prev_hash: m.prev_hash,
        hash: m.hash,
    })
}

fn to_proto(m: audit_log::Model) -> pb::AuditEntry {
    pb::AuditEntry {
        seq: m.seq,
        at: m.at,
        actor: m.actor,
        agency: m.agency,
        action: m.action,
        case_id: m.case_id,
        target_agency: m.target_agency,
        result: m.result,
        reason: m.reason,
        source: m.source,
        prev_hash: m.prev_hash,
        hash: m.hash,
    }
}
