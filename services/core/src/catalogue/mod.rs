//! The proactive-disclosure catalogue (主动公开目录, `shared/spec/catalogue.md`): an agency's
//! rules (规章) and administrative normative documents (行政规范性文件), and information it
//! published proactively after releasing it on application (Art. 44).
//!
//! - [`record`]: one document as a JSON Lines record, read and checked with errors naming the
//!   field in Chinese;
//! - [`count`]: table 二's 制发 / 废止 / 现行有效 for a year, by the spec's counting rules;
//! - [`similarity`], [`candidates`]: Art. 44 candidates, clusters of disclosed applications
//!   about the same information.

pub mod candidates;
pub mod count;
pub mod record;
pub mod similarity;

pub use count::{CatalogueCounts, count_documents, documents_in_force_on};
pub use record::{CatalogueDocument, DocumentKind, FieldError};
