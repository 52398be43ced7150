//! The audit trail (审计日志): entries chained by SHA-256 hashes, so that an edited, deleted
//! or reordered entry is found by [`verify_chain`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The result of an audited act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditResult {
    Allowed,
    Denied,
    Failed,
}

impl AuditResult {
    pub fn code(self) -> &'static str {
        match self {
            AuditResult::Allowed => "allowed",
            AuditResult::Denied => "denied",
            AuditResult::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AuditResult::Allowed => "允许",
            AuditResult::Denied => "拒绝",
            AuditResult::Failed => "失败",
        }
    }

    pub fn from_code(code: &str) -> Option<AuditResult> {
        [
            AuditResult::Allowed,
            AuditResult::Denied,
            AuditResult::Failed,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// One entry, as roles.md names its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339 with offset.
    pub at: String,
    pub actor: String,
    /// The actor's agency.
    pub agency: String,
    pub action: String,
    pub case: String,
    pub target_agency: String,
    pub result: AuditResult,
    pub reason: String,
    pub source: String,
}

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of `entry` following `prev_hash`: SHA-256 over the previous hash and each field,
/// length-prefixed so that no two entries share an encoding. Lower-case hex.
pub fn entry_hash(prev_hash: &str, entry: &AuditEntry) -> String {
    let mut h = Sha256::new();
    for field in [
        prev_hash,
        &entry.at,
        &entry.actor,
        &entry.agency,
        &entry.action,
        &entry.case,
        &entry.target_agency,
        entry.result.code(),
        &entry.reason,
        &entry.source,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// A stored entry: its position, the entry and its chain links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    pub seq: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// Where the chain is broken, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("第{seq}条审计记录的内容与其哈希不符（记录被修改）")]
    Edited { seq: i64 },
    #[error("第{seq}条审计记录之前的记录缺失或顺序被改动（前一哈希不符）")]
    Unlinked { seq: i64 },
    #[error("审计记录序号不连续：第{after}条之后是第{seq}条（记录被删除）")]
    Gap { after: i64, seq: i64 },
}

/// Verify entries in order from the first: each links to the one before and hashes to its
/// stored hash. Returns the number of entries checked.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a ChainedEntry>,
) -> Result<usize, ChainBreak> {
    let mut prev = GENESIS.to_string();
    let mut last_seq: Option<i64> = None;
    let mut n = 0;
    for e in entries {
        let expected_seq = last_seq.map_or(1, |s| s + 1);
        if e.seq != expected_seq {
            return Err(ChainBreak::Gap {
                after: last_seq.unwrap_or(0),
                seq: e.seq,
            });
        }
        if e.prev_hash != prev {
            return Err(ChainBreak::Unlinked { seq: e.seq });
        }
        if entry_hash(&e.prev_hash, &e.entry) != e.hash {
            return Err(ChainBreak::Edited { seq: e.seq });
        }
        prev = e.hash.clone();
        last_seq = Some(e.seq);
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(actor: &str, result: AuditResult) -> AuditEntry {
        AuditEntry {
            at: "2026-03-02T09:00:00+08:00".into(),
            actor: actor.into(),
            agency: "遂宁市船山区人民政府".into(),
            action: "report.read".into(),
            case: String::new(),
            target_agency: "遂宁市安居区人民政府".into(),
            result,
            reason: "无权访问该机关的年度报告".into(),
            source: "127.0.0.1".into(),
        }
    }

    fn chain(n: i64) -> Vec<ChainedEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let e = entry(&format!("user{seq}"), AuditResult::Denied);
                let hash = entry_hash(&prev, &e);
                let c = ChainedEntry {
                    seq,
                    entry: e,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                c
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5)), Ok(5));
        assert_eq!(verify_chain(&[]), Ok(0));
    }

    #[test]
    fn an_edited_entry_is_found() {
        let mut c = chain(5);
        c[2].entry.result = AuditResult::Allowed;
        assert_eq!(verify_chain(&c), Err(ChainBreak::Edited { seq: 3 }));
    }

    #[test]
    fn an_edited_entry_with_its_hash_recomputed_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].entry.actor = "someone_else".into();
        c[2].hash = entry_hash(&c[2].prev_hash, &c[2].entry);
        assert_eq!(verify_chain(&c), Err(ChainBreak::Unlinked { seq: 4 }));
    }

    #[test]
    fn a_deleted_entry_is_found() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify_chain(&c), Err(ChainBreak::Gap { after: 1, seq: 3 }));
        let mut c = chain(5);
        c.remove(0);
        assert_eq!(verify_chain(&c), Err(ChainBreak::Gap { after: 0, seq: 2 }));
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        let mut a = entry("ab", AuditResult::Denied);
        a.agency = "c".into();
        let mut b = entry("a", AuditResult::Denied);
        b.agency = "bc".into();
        assert_ne!(entry_hash(GENESIS, &a), entry_hash(GENESIS, &b));
    }
}
