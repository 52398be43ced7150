//! sea-orm entities of the tables in [`super::migrations`].

/// The transactional outbox (发件箱): events written with the state change, published later.
pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        #[sea_orm(unique)]
        pub event_id: String,
        pub subject: String,
        pub payload: Vec<u8>,
        pub created_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
        /// Why the event could not be published (a dead letter, 死信), when it could not: the
        /// relay sets it aside and goes on with the next event.
        pub dead_letter: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Audit entries of this service's calls on their way to the accounts service: written
/// before the call is answered, deleted once recorded there.
pub mod audit_outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        #[sea_orm(unique)]
        pub entry_id: String,
        /// The `AuditSubmission`, protobuf-encoded.
        pub entry: Vec<u8>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The inbox (收件箱): event ids a consumer has applied, written in the effect's transaction.
pub mod inbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub consumer: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: String,
        pub processed_at: DateTimeUtc,
        /// For a command's idempotency key: the fingerprint of the command it was given with,
        /// so that the key reused with another command is refused.
        pub fingerprint: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Yearly counters per scope (receipt numbers per agency, letter numbers per agency).
pub mod counters {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "counters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub scope: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        pub next: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Intake's applications; `record` holds the application as JSON (the case-record fields).
pub mod applications {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "applications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub case_id: String,
        pub agency: String,
        pub reference: String,
        pub receipt_number: String,
        pub channel: String,
        pub received_on: Date,
        #[sea_orm(column_type = "Text")]
        pub record: String,
        pub status: String,
        pub version: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A service's case file: its domain state as JSON, with an optimistic-concurrency version.
pub mod case_files {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_files")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub case_id: String,
        pub agency: String,
        pub stage: String,
        pub received_on: Date,
        pub due_on: Option<Date>,
        #[sea_orm(column_type = "Text")]
        pub state: String,
        pub version: i64,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Approval's case list (案件列表): one row a case, what the list shows and filters on.
pub mod case_list {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_list")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub case_id: String,
        pub agency: String,
        pub stage: String,
        pub received_on: Date,
        pub due_on: Option<Date>,
        pub provisional: bool,
        pub consulting: bool,
        pub outcome_code: String,
        pub replied_on: Option<Date>,
        pub replied_late: bool,
        /// The handler's user name; empty while the case is given to nobody.
        pub handler: String,
        pub reference: String,
        pub receipt_number: String,
        pub applicant_name: String,
        /// Masked, as the events carry it.
        pub id_number: String,
        pub request_summary: String,
        /// Reference, receipt number, applicant name and request, lower-cased, for 搜索.
        #[sea_orm(column_type = "Text")]
        pub search_text: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Reporting's projection of a case: what the annual report counts.
pub mod report_cases {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_cases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub case_id: String,
        pub agency: String,
        pub applicant_type: String,
        pub received_on: Date,
        pub outcome: Option<String>,
        pub replied_on: Option<Date>,
        pub fee_yuan: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Reporting's projection of reviews and lawsuits (table 四).
pub mod report_reviews {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_reviews")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub case_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        pub agency: String,
        pub kind: String,
        pub filed_on: Date,
        pub result: String,
        pub concluded_on: Option<Date>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Reporting's counters of replied cases (see migration m0006).
pub mod report_reply_counts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_reply_counts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub received_year: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub replied_year: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub applicant_type: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub outcome: String,
        /// The fee collected as a decimal string, "" when none.
        #[sea_orm(primary_key, auto_increment = false)]
        pub fee_yuan: String,
        pub cases: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What an agency enters per year (table 二 figures, narrative) and locked reports.
pub mod report_entries {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_entries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Validation's index of each applicant's cases at an agency.
pub mod applicant_cases {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "applicant_cases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub applicant_key: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub case_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Publishing's catalogue (主动公开目录): one document of an agency.
pub mod catalogue_documents {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalogue_documents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub number: String,
        pub kind: String,
        #[sea_orm(column_type = "Text")]
        pub title: String,
        pub issued_on: Date,
        pub published_on: Option<Date>,
        pub valid_until: Option<Date>,
        pub repealed_on: Option<Date>,
        pub repealed_by: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub url: Option<String>,
        pub version: i64,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Reporting's projection of the catalogues: what table 二 counts.
pub mod report_catalogue {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_catalogue")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub number: String,
        pub kind: String,
        pub issued_on: Date,
        pub valid_until: Option<Date>,
        pub repealed_on: Option<Date>,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
