//! Migrations, one migrator per service. Every service database has the outbox and the inbox;
//! each then has its own tables. Written with sea-query so that SQLite and PostgreSQL run the
//! same migrations.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Seq,
    EventId,
    Subject,
    Payload,
    CreatedAt,
    PublishedAt,
    DeadLetter,
}

#[derive(DeriveIden)]
enum Inbox {
    Table,
    Consumer,
    EventId,
    ProcessedAt,
    Fingerprint,
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    CaseId,
    Agency,
    Reference,
    ReceiptNumber,
    Channel,
    ReceivedOn,
    Record,
    Status,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Counters {
    Table,
    Scope,
    Year,
    Next,
}

#[derive(DeriveIden)]
enum CaseFiles {
    Table,
    CaseId,
    Agency,
    Stage,
    ReceivedOn,
    DueOn,
    State,
    Version,
    UpdatedAt,
}

/// The outbox and the inbox, in every service database.
pub struct CreateMessaging;

impl MigrationName for CreateMessaging {
    fn name(&self) -> &str {
        "m0001_messaging"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateMessaging {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(Outbox::Seq)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Outbox::EventId)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Outbox::Subject).string().not_null())
                .col(ColumnDef::new(Outbox::Payload).binary().not_null())
                .col(
                    ColumnDef::new(Outbox::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Outbox::PublishedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("outbox_unpublished")
                .table(Outbox::Table)
                .col(Outbox::PublishedAt)
                .col(Outbox::Seq)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Inbox::Table)
                .if_not_exists()
                .col(ColumnDef::new(Inbox::Consumer).string().not_null())
                .col(ColumnDef::new(Inbox::EventId).string().not_null())
                .col(
                    ColumnDef::new(Inbox::ProcessedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(Index::create().col(Inbox::Consumer).col(Inbox::EventId))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Inbox::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}

/// Per-scope yearly counters: receipt numbers (回执编号) and letter document numbers (文号).
pub struct CreateCounters;

impl MigrationName for CreateCounters {
    fn name(&self) -> &str {
        "m0002_counters"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCounters {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Counters::Table)
                .if_not_exists()
                .col(ColumnDef::new(Counters::Scope).string().not_null())
                .col(ColumnDef::new(Counters::Year).integer().not_null())
                .col(ColumnDef::new(Counters::Next).big_integer().not_null())
                .primary_key(Index::create().col(Counters::Scope).col(Counters::Year))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Counters::Table).to_owned())
            .await
    }
}

/// Intake: applications as received.
pub struct CreateApplications;

impl MigrationName for CreateApplications {
    fn name(&self) -> &str {
        "m0003_applications"
    }
}

/// The applications table as `table`. `receipt_unique_alone` is how m0003 first made it: the
/// receipt number unique across agencies, which m0005 corrects (it is unique per agency).
fn applications_table(
    table: impl IntoIden + 'static,
    receipt_unique_alone: bool,
) -> TableCreateStatement {
    let mut receipt = ColumnDef::new(Applications::ReceiptNumber);
    receipt.string().not_null();
    if receipt_unique_alone {
        receipt.unique_key();
    }
    Table::create()
        .table(table)
        .if_not_exists()
        .col(
            ColumnDef::new(Applications::CaseId)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Applications::Agency).string().not_null())
        .col(ColumnDef::new(Applications::Reference).string().not_null())
        .col(receipt)
        .col(ColumnDef::new(Applications::Channel).string().not_null())
        .col(ColumnDef::new(Applications::ReceivedOn).date().not_null())
        .col(ColumnDef::new(Applications::Record).text().not_null())
        .col(ColumnDef::new(Applications::Status).string().not_null())
        .col(
            ColumnDef::new(Applications::Version)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(Applications::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned()
}

/// The two unique indexes of applications: reference and receipt number, each per agency.
async fn create_application_indexes(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    for (name, column) in [
        ("applications_agency_reference", Applications::Reference),
        ("applications_agency_receipt", Applications::ReceiptNumber),
    ] {
        m.create_index(
            Index::create()
                .name(name)
                .table(Applications::Table)
                .col(Applications::Agency)
                .col(column)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for CreateApplications {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(applications_table(Applications::Table, true))
            .await?;
        create_application_indexes(m).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Applications::Table).to_owned())
            .await
    }
}

/// Validation, approval and publishing: the case file as that service sees it, stored as the
/// serialized domain state with an optimistic-concurrency version.
pub struct CreateCaseFiles;

impl MigrationName for CreateCaseFiles {
    fn name(&self) -> &str {
        "m0003_case_files"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCaseFiles {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CaseFiles::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(CaseFiles::CaseId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(CaseFiles::Agency).string().not_null())
                .col(ColumnDef::new(CaseFiles::Stage).string().not_null())
                .col(ColumnDef::new(CaseFiles::ReceivedOn).date().not_null())
                .col(ColumnDef::new(CaseFiles::DueOn).date().null())
                .col(ColumnDef::new(CaseFiles::State).text().not_null())
                .col(ColumnDef::new(CaseFiles::Version).big_integer().not_null())
                .col(
                    ColumnDef::new(CaseFiles::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("case_files_agency_stage_due")
                .table(CaseFiles::Table)
                .col(CaseFiles::Agency)
                .col(CaseFiles::Stage)
                .col(CaseFiles::DueOn)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CaseFiles::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ReportCases {
    Table,
    CaseId,
    Agency,
    ApplicantType,
    ReceivedOn,
    Outcome,
    RepliedOn,
    FeeYuan,
}

#[derive(DeriveIden)]
enum ReportReviews {
    Table,
    CaseId,
    Seq,
    Agency,
    Kind,
    FiledOn,
    Result,
    ConcludedOn,
}

#[derive(DeriveIden)]
enum ReportEntries {
    Table,
    Agency,
    Year,
    Kind,
    Body,
    UpdatedAt,
}

/// Reporting: projections built only from events, and what agencies enter per year.
pub struct CreateReportProjections;

impl MigrationName for CreateReportProjections {
    fn name(&self) -> &str {
        "m0004_report_projections"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateReportProjections {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ReportCases::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(ReportCases::CaseId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ReportCases::Agency).string().not_null())
                .col(
                    ColumnDef::new(ReportCases::ApplicantType)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(ReportCases::ReceivedOn).date().not_null())
                .col(ColumnDef::new(ReportCases::Outcome).string().null())
                .col(ColumnDef::new(ReportCases::RepliedOn).date().null())
                .col(ColumnDef::new(ReportCases::FeeYuan).string().null())
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("report_cases_received", ReportCases::ReceivedOn),
            ("report_cases_replied", ReportCases::RepliedOn),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(ReportCases::Table)
                    .col(ReportCases::Agency)
                    .col(col)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(ReportReviews::Table)
                .if_not_exists()
                .col(ColumnDef::new(ReportReviews::CaseId).string().not_null())
                .col(ColumnDef::new(ReportReviews::Seq).integer().not_null())
                .col(ColumnDef::new(ReportReviews::Agency).string().not_null())
                .col(ColumnDef::new(ReportReviews::Kind).string().not_null())
                .col(ColumnDef::new(ReportReviews::FiledOn).date().not_null())
                .col(ColumnDef::new(ReportReviews::Result).string().not_null())
                .col(ColumnDef::new(ReportReviews::ConcludedOn).date().null())
                .primary_key(
                    Index::create()
                        .col(ReportReviews::CaseId)
                        .col(ReportReviews::Seq),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("report_reviews_filed")
                .table(ReportReviews::Table)
                .col(ReportReviews::Agency)
                .col(ReportReviews::FiledOn)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReportEntries::Table)
                .if_not_exists()
                .col(ColumnDef::new(ReportEntries::Agency).string().not_null())
                .col(ColumnDef::new(ReportEntries::Year).integer().not_null())
                .col(ColumnDef::new(ReportEntries::Kind).string().not_null())
                .col(ColumnDef::new(ReportEntries::Body).text().not_null())
                .col(
                    ColumnDef::new(ReportEntries::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ReportEntries::Agency)
                        .col(ReportEntries::Year)
                        .col(ReportEntries::Kind),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ReportEntries::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ReportReviews::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ReportCases::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ApplicantCases {
    Table,
    Agency,
    ApplicantKey,
    CaseId,
}

/// Validation: the cases of each applicant at an agency, for duplicate and volume screening
/// without scanning every case file.
pub struct CreateApplicantIndex;

impl MigrationName for CreateApplicantIndex {
    fn name(&self) -> &str {
        "m0004_applicant_cases"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateApplicantIndex {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ApplicantCases::Table)
                .if_not_exists()
                .col(ColumnDef::new(ApplicantCases::Agency).string().not_null())
                .col(
                    ColumnDef::new(ApplicantCases::ApplicantKey)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(ApplicantCases::CaseId).string().not_null())
                .primary_key(
                    Index::create()
                        .col(ApplicantCases::Agency)
                        .col(ApplicantCases::ApplicantKey)
                        .col(ApplicantCases::CaseId),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ApplicantCases::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ApplicationsRebuilt {
    Table,
}

/// Intake: receipt numbers (回执编号) are unique per agency and year, as issued, not across
/// agencies: drop m0003's column-wide unique constraint (PostgreSQL drops it in place; SQLite
/// rebuilds the table).
pub struct ReceiptNumberPerAgency;

impl MigrationName for ReceiptNumberPerAgency {
    fn name(&self) -> &str {
        "m0005_receipt_number_per_agency"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ReceiptNumberPerAgency {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            sea_orm::DbBackend::Sqlite => {
                m.create_table(applications_table(ApplicationsRebuilt::Table, false))
                    .await?;
                db.execute_unprepared(
                    "INSERT INTO applications_rebuilt (case_id, agency, reference, receipt_number, \
                     channel, received_on, record, status, version, created_at) \
                     SELECT case_id, agency, reference, receipt_number, channel, received_on, \
                     record, status, version, created_at FROM applications",
                )
                .await?;
                m.drop_table(Table::drop().table(Applications::Table).to_owned())
                    .await?;
                m.rename_table(
                    Table::rename()
                        .table(ApplicationsRebuilt::Table, Applications::Table)
                        .to_owned(),
                )
                .await?;
                create_application_indexes(m).await
            }
            _ => {
                db.execute_unprepared(
                    "ALTER TABLE applications DROP CONSTRAINT IF EXISTS applications_receipt_number_key",
                )
                .await?;
                Ok(())
            }
        }
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        // Receipt numbers of different agencies may now coincide: nothing to go back to.
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ReportReplyCounts {
    Table,
    Agency,
    ReceivedYear,
    RepliedYear,
    ApplicantType,
    Outcome,
    FeeYuan,
    Cases,
}

/// Reporting: replied cases counted per agency, years of receipt and reply, applicant type,
/// outcome and fee (one writer, the `reply.served` consumer, so plain increments), so that a
/// report reads a few dozen counters instead of every case; and a partial index on the open
/// cases, the only ones still counted from `report_cases`. Existing replied cases are counted in.
pub struct CreateReplyCounts;

impl MigrationName for CreateReplyCounts {
    fn name(&self) -> &str {
        "m0006_report_reply_counts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateReplyCounts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ReportReplyCounts as R;
        m.create_table(
            Table::create()
                .table(R::Table)
                .if_not_exists()
                .col(ColumnDef::new(R::Agency).string().not_null())
                .col(ColumnDef::new(R::ReceivedYear).integer().not_null())
                .col(ColumnDef::new(R::RepliedYear).integer().not_null())
                .col(ColumnDef::new(R::ApplicantType).string().not_null())
                .col(ColumnDef::new(R::Outcome).string().not_null())
                // The fee collected as a decimal string, "" when none.
                .col(ColumnDef::new(R::FeeYuan).string().not_null())
                .col(ColumnDef::new(R::Cases).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(R::Agency)
                        .col(R::ReceivedYear)
                        .col(R::RepliedYear)
                        .col(R::ApplicantType)
                        .col(R::Outcome)
                        .col(R::FeeYuan),
                )
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // Both databases read a date as 'YYYY-MM-DD' text and take its first four characters.
        db.execute_unprepared(
            "INSERT INTO report_reply_counts \
             (agency, received_year, replied_year, applicant_type, outcome, fee_yuan, cases) \
             SELECT agency, CAST(substr(CAST(received_on AS TEXT), 1, 4) AS INTEGER), \
             CAST(substr(CAST(replied_on AS TEXT), 1, 4) AS INTEGER), applicant_type, outcome, \
             COALESCE(fee_yuan, ''), COUNT(*) FROM report_cases \
             WHERE replied_on IS NOT NULL AND outcome IS NOT NULL \
             GROUP BY agency, CAST(substr(CAST(received_on AS TEXT), 1, 4) AS INTEGER), \
             CAST(substr(CAST(replied_on AS TEXT), 1, 4) AS INTEGER), applicant_type, outcome, \
             COALESCE(fee_yuan, '')",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS report_cases_open ON report_cases (agency, received_on) \
             WHERE replied_on IS NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ReportReplyCounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CatalogueDocuments {
    Table,
    Agency,
    Number,
    Kind,
    Title,
    IssuedOn,
    PublishedOn,
    ValidUntil,
    RepealedOn,
    RepealedBy,
    Url,
    Version,
    UpdatedAt,
}

/// Publishing: the proactive-disclosure catalogue (主动公开目录), one row per document of an
/// agency, its number (文号) unique per agency; `version` counts its corrections and repeal.
pub struct CreateCatalogue;

impl MigrationName for CreateCatalogue {
    fn name(&self) -> &str {
        "m0007_catalogue"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCatalogue {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use CatalogueDocuments as D;
        m.create_table(
            Table::create()
                .table(D::Table)
                .if_not_exists()
                .col(ColumnDef::new(D::Agency).string().not_null())
                .col(ColumnDef::new(D::Number).string().not_null())
                .col(ColumnDef::new(D::Kind).string().not_null())
                .col(ColumnDef::new(D::Title).text().not_null())
                .col(ColumnDef::new(D::IssuedOn).date().not_null())
                .col(ColumnDef::new(D::PublishedOn).date().null())
                .col(ColumnDef::new(D::ValidUntil).date().null())
                .col(ColumnDef::new(D::RepealedOn).date().null())
                .col(ColumnDef::new(D::RepealedBy).string().null())
                .col(ColumnDef::new(D::Url).text().null())
                .col(ColumnDef::new(D::Version).big_integer().not_null())
                .col(
                    ColumnDef::new(D::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(Index::create().col(D::Agency).col(D::Number))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("catalogue_documents_agency_kind")
                .table(D::Table)
                .col(D::Agency)
                .col(D::Kind)
                .col(D::IssuedOn)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CatalogueDocuments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ReportCatalogue {
    Table,
    Agency,
    Number,
    Kind,
    IssuedOn,
    ValidUntil,
    RepealedOn,
    Version,
}

/// Reporting: its projection of the catalogues, the dates table 二 counts (制发, 废止,
/// 现行有效), kept from the `catalogue.*` events; `version` is the document's, so an older
/// event never overwrites a newer state.
pub struct CreateReportCatalogue;

impl MigrationName for CreateReportCatalogue {
    fn name(&self) -> &str {
        "m0007_report_catalogue"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateReportCatalogue {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ReportCatalogue as R;
        m.create_table(
            Table::create()
                .table(R::Table)
                .if_not_exists()
                .col(ColumnDef::new(R::Agency).string().not_null())
                .col(ColumnDef::new(R::Number).string().not_null())
                .col(ColumnDef::new(R::Kind).string().not_null())
                .col(ColumnDef::new(R::IssuedOn).date().not_null())
                .col(ColumnDef::new(R::ValidUntil).date().null())
                .col(ColumnDef::new(R::RepealedOn).date().null())
                .col(ColumnDef::new(R::Version).big_integer().not_null())
                .primary_key(Index::create().col(R::Agency).col(R::Number))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ReportCatalogue::Table).to_owned())
            .await
    }
}

/// Every service database: the outbox's dead letters (an event that cannot be published is set
/// aside with its reason, so the events after it flow) and the fingerprint of the command an
/// idempotency key was given with (the key reused with another command is refused).
pub struct DeadLettersAndCommandFingerprints;

impl MigrationName for DeadLettersAndCommandFingerprints {
    fn name(&self) -> &str {
        "m0007_dead_letters_and_command_fingerprints"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for DeadLettersAndCommandFingerprints {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        m.alter_table(
            Table::alter()
                .table(Outbox::Table)
                .add_column(ColumnDef::new(Outbox::DeadLetter).text().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Inbox::Table)
                .add_column(ColumnDef::new(Inbox::Fingerprint).string().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Inbox::Table)
                .drop_column(Inbox::Fingerprint)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Outbox::Table)
                .drop_column(Outbox::DeadLetter)
                .to_owned(),
        )
        .await
    }
}

/// Accounts: users, the agency registry, sessions, signing keys and the audit trail.
pub struct CreateAccounts;

impl MigrationName for CreateAccounts {
    fn name(&self) -> &str {
        "m0101_accounts"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Username,
    Agency,
    Department,
    Roles,
    Scope,
    PasswordHash,
    Enabled,
    MustChangePassword,
    Failures,
    LastFailureAt,
    DevOperator,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Agencies {
    Table,
    Name,
    Code,
    LetterPrefix,
    ReconsiderationBody,
    Parent,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    SecretHash,
    Username,
    CreatedAt,
    ExpiresAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Pkcs8,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    EntryId,
    At,
    Actor,
    Agency,
    Action,
    CaseId,
    TargetAgency,
    Result,
    Reason,
    Source,
    PrevHash,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAccounts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(Users::Username)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Users::Agency).string().not_null())
                .col(ColumnDef::new(Users::Department).string().not_null())
                // Role codes, comma-separated.
                .col(ColumnDef::new(Users::Roles).string().not_null())
                .col(ColumnDef::new(Users::Scope).string().not_null())
                .col(ColumnDef::new(Users::PasswordHash).string().not_null())
                .col(ColumnDef::new(Users::Enabled).boolean().not_null())
                .col(
                    ColumnDef::new(Users::MustChangePassword)
                        .boolean()
                        .not_null(),
                )
                .col(ColumnDef::new(Users::Failures).integer().not_null())
                .col(
                    ColumnDef::new(Users::LastFailureAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(Users::DevOperator).boolean().not_null())
                .col(
                    ColumnDef::new(Users::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Agencies::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(Agencies::Name)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Agencies::Code).string().not_null())
                .col(ColumnDef::new(Agencies::LetterPrefix).string().not_null())
                .col(
                    ColumnDef::new(Agencies::ReconsiderationBody)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(Agencies::Parent).string().null())
                .col(
                    ColumnDef::new(Agencies::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(Sessions::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Sessions::SecretHash)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Sessions::Username).string().not_null())
                .col(
                    ColumnDef::new(Sessions::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Sessions::ExpiresAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Sessions::EndedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SigningKeys::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(SigningKeys::Kid)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(SigningKeys::Pkcs8).binary().not_null())
                .col(
                    ColumnDef::new(SigningKeys::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(SigningKeys::RetiredAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(AuditLog::Seq)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AuditLog::EntryId)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(AuditLog::At).string().not_null())
                .col(ColumnDef::new(AuditLog::Actor).string().not_null())
                .col(ColumnDef::new(AuditLog::Agency).string().not_null())
                .col(ColumnDef::new(AuditLog::Action).string().not_null())
                .col(ColumnDef::new(AuditLog::CaseId).string().not_null())
                .col(ColumnDef::new(AuditLog::TargetAgency).string().not_null())
                .col(ColumnDef::new(AuditLog::Result).string().not_null())
                .col(ColumnDef::new(AuditLog::Reason).text().not_null())
                .col(ColumnDef::new(AuditLog::Source).string().not_null())
                .col(ColumnDef::new(AuditLog::PrevHash).string().not_null())
                .col(ColumnDef::new(AuditLog::Hash).string().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("audit_log_actor")
                .table(AuditLog::Table)
                .col(AuditLog::Actor)
                .col(AuditLog::Seq)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Users::Table.into_iden(),
            Agencies::Table.into_iden(),
            Sessions::Table.into_iden(),
            SigningKeys::Table.into_iden(),
            AuditLog::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AuditOutbox {
    Table,
    Seq,
    EntryId,
    Entry,
    CreatedAt,
}

/// Every service database: the audit entries of its calls, written before the call is
/// answered and forwarded to the accounts service from there (a killed service loses none).
pub struct CreateAuditOutbox;

impl MigrationName for CreateAuditOutbox {
    fn name(&self) -> &str {
        "m0008_audit_outbox"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAuditOutbox {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditOutbox::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(AuditOutbox::Seq)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AuditOutbox::EntryId)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(AuditOutbox::Entry).binary().not_null())
                .col(
                    ColumnDef::new(AuditOutbox::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditOutbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SecurityPolicy {
    Table,
    Id,
    Policy,
    UpdatedAt,
    UpdatedBy,
}

/// Accounts: the security administrator's policy (one row, JSON), read at every sign-in.
pub struct CreateSecurityPolicy;

impl MigrationName for CreateSecurityPolicy {
    fn name(&self) -> &str {
        "m0102_security_policy"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateSecurityPolicy {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SecurityPolicy::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(SecurityPolicy::Id)
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(SecurityPolicy::Policy).text().not_null())
                .col(
                    ColumnDef::new(SecurityPolicy::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(SecurityPolicy::UpdatedBy)
                        .string()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SecurityPolicy::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CaseList {
    Table,
    CaseId,
    Agency,
    Stage,
    ReceivedOn,
    DueOn,
    Provisional,
    Consulting,
    OutcomeCode,
    RepliedOn,
    RepliedLate,
    Handler,
    Reference,
    ReceiptNumber,
    ApplicantName,
    IdNumber,
    RequestSummary,
    SearchText,
}

/// Approval: one row a case with what the case list shows and filters on (案件列表), so that a
/// page of an agency's cases is one indexed query, not a read of every case file.
pub struct CreateCaseList;

impl MigrationName for CreateCaseList {
    fn name(&self) -> &str {
        "m0009_case_list"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCaseList {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let text = |c: CaseList| ColumnDef::new(c).string().not_null().default("").to_owned();
        m.create_table(
            Table::create()
                .table(CaseList::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(CaseList::CaseId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(CaseList::Agency).string().not_null())
                .col(ColumnDef::new(CaseList::Stage).string().not_null())
                .col(ColumnDef::new(CaseList::ReceivedOn).date().not_null())
                .col(ColumnDef::new(CaseList::DueOn).date().null())
                .col(
                    ColumnDef::new(CaseList::Provisional)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(CaseList::Consulting)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(text(CaseList::OutcomeCode))
                .col(ColumnDef::new(CaseList::RepliedOn).date().null())
                .col(
                    ColumnDef::new(CaseList::RepliedLate)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(text(CaseList::Handler))
                .col(text(CaseList::Reference))
                .col(text(CaseList::ReceiptNumber))
                .col(text(CaseList::ApplicantName))
                .col(text(CaseList::IdNumber))
                .col(text(CaseList::RequestSummary))
                .col(ColumnDef::new(CaseList::SearchText).text().not_null())
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "case_list_agency_received",
                vec![CaseList::Agency, CaseList::ReceivedOn, CaseList::CaseId],
            ),
            (
                "case_list_agency_stage_due",
                vec![CaseList::Agency, CaseList::Stage, CaseList::DueOn],
            ),
            (
                "case_list_agency_handler",
                vec![CaseList::Agency, CaseList::Handler, CaseList::ReceivedOn],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(CaseList::Table).if_not_exists();
            for c in cols {
                index.col(c);
            }
            m.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CaseList::Table).to_owned())
            .await
    }
}

macro_rules! migrator {
    ($(#[$meta:meta])* $name:ident, [$($migration:expr),* $(,)?]) => {
        $(#[$meta])*
        pub struct $name;

        #[async_trait::async_trait]
        impl MigratorTrait for $name {
            fn migrations() -> Vec<Box<dyn MigrationTrait>> {
                vec![$(Box::new($migration)),*]
            }
        }
    };
}

migrator!(
    /// Intake's database: applications, receipt-number counters, outbox, inbox.
    IntakeMigrator,
    [
        CreateMessaging,
        CreateCounters,
        CreateApplications,
        ReceiptNumberPerAgency,
        DeadLettersAndCommandFingerprints,
        CreateAuditOutbox
    ]
);
migrator!(
    /// Validation's database: findings and correction state per case.
    ValidationMigrator,
    [
        CreateMessaging,
        CreateCaseFiles,
        CreateApplicantIndex,
        DeadLettersAndCommandFingerprints,
        CreateAuditOutbox
    ]
);
migrator!(
    /// Approval's database: the case file while it is handled.
    ApprovalMigrator,
    [
        CreateMessaging,
        CreateCaseFiles,
        DeadLettersAndCommandFingerprints,
        CreateCaseList,
        CreateAuditOutbox
    ]
);
migrator!(
    /// Publishing's database: reply letters, document-number counters, the catalogue.
    PublishingMigrator,
    [
        CreateMessaging,
        CreateCounters,
        CreateCaseFiles,
        CreateCatalogue,
        DeadLettersAndCommandFingerprints,
        CreateAuditOutbox
    ]
);
migrator!(
    /// Reporting's database: projections (built in the reporting issue).
    ReportingMigrator,
    [
        CreateMessaging,
        CreateReportProjections,
        CreateReplyCounts,
        CreateReportCatalogue,
        DeadLettersAndCommandFingerprints,
        CreateAuditOutbox
    ]
);
migrator!(
    /// Accounts' database: users, agencies, sessions, signing keys, the audit trail.
    AccountsMigrator,
    [
        CreateMessaging,
        CreateAccounts,
        DeadLettersAndCommandFingerprints,
        CreateAuditOutbox,
        CreateSecurityPolicy
    ]
);
