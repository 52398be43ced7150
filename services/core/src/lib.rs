//! The domain core of ogi (政府信息公开申请办理): everything the services decide, with no I/O.
//!
//! - [`codes`]: outcome codes (办理结果), applicant types (申请人类型), review results;
//! - [`access`]: roles, permissions, scope, the sign-in policy and the audit hash chain;
//! - [`calendar`]: the working-day calendar with adjusted working days (调休);
//! - [`deadline`]: statutory time limits and their explanation;
//! - [`identity`]: GB 11643 resident ID and GB 32100 unified social credit code checks;
//! - [`fees`]: information processing fees (信息处理费, 国办函〔2020〕109号);
//! - [`case`]: the case state machine of the statutory procedure;
//! - [`records`]: the case-record import/export format (JSON Lines);
//! - [`catalogue`]: the proactive-disclosure catalogue, table 二's document counts and
//!   Art. 44 candidates;
//! - [`limits`]: the one table of field lengths, plausible years and dates, sizes.

pub mod access;
pub mod calendar;
pub mod case;
pub mod catalogue;
pub mod codes;
pub mod deadline;
pub mod fees;
pub mod identity;
pub mod letters;
pub mod limits;
pub mod records;
pub mod report;
pub mod synth;
#[cfg(test)]
mod upstream;
