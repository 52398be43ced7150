//! `ogi catalogue …`: the proactive-disclosure catalogue (主动公开目录) kept by the publishing
//! service — import a JSON Lines file (idempotent on agency + number), list, repeal.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use ogi_core::catalogue::{CatalogueDocument, DocumentKind};
use ogi_platform::catalogue::{from_message, to_message};
use ogi_platform::error::describe_status;
use ogi_proto::v1 as pb;

use crate::endpoints::Clients;
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// 导入目录文件（JSON Lines，每行一件规章或行政规范性文件，格式见 catalogue.md）；按机关＋文号幂等：
    /// 新文号新增，已有文号而内容不同视为更正，内容相同不变。任何一行有误则整个文件不导入
    Import {
        file: PathBuf,
        #[arg(long, env = "OGI_ACTOR", default_value = "政府信息公开办公室")]
        actor: String,
    },
    /// 列出某机关的主动公开目录
    List {
        #[arg(long)]
        agency: String,
        /// 只列在该日（YYYY-MM-DD）现行有效的文件
        #[arg(long)]
        in_force_on: Option<NaiveDate>,
        /// 只列该类别：rule（规章）、normative_document（行政规范性文件）、released_information（依申请公开转主动公开的信息）
        #[arg(long)]
        kind: Option<String>,
        /// table（表格，缺省）或 json（每行一件，与导入格式相同）
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// 登记文件废止
    Repeal {
        /// 被废止文件的文号
        number: String,
        #[arg(long)]
        agency: String,
        /// 废止生效日期（YYYY-MM-DD）
        #[arg(long)]
        on: NaiveDate,
        /// 废止它的文件的文号
        #[arg(long)]
        by: Option<String>,
        #[arg(long, env = "OGI_ACTOR", default_value = "政府信息公开办公室")]
        actor: String,
    },
}

/// Bytes of documents sent per request: well under the services' gRPC message limit
/// (`ogi_core::limits::GRPC_MAX_MESSAGE_BYTES`).
const BYTES_PER_REQUEST: usize = ogi_core::limits::GRPC_MAX_MESSAGE_BYTES / 2;

/// The documents split into requests of at most [`BYTES_PER_REQUEST`] (roughly: the fields'
/// text plus room for the framing).
fn requests(documents: &[(usize, CatalogueDocument)]) -> Vec<&[(usize, CatalogueDocument)]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, (_, d)) in documents.iter().enumerate() {
        let size = d.to_json_line().len() + 64;
        if i > start && bytes + size > BYTES_PER_REQUEST {
            out.push(&documents[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < documents.len() {
        out.push(&documents[start..]);
    }
    out
}

/// The documents of a file, each with its line number.
type NumberedDocuments = Vec<(usize, CatalogueDocument)>;

/// Read and check a catalogue file: the documents with their line numbers, or every error
/// by line.
pub fn read_catalogue(path: &PathBuf) -> anyhow::Result<Result<NumberedDocuments, Vec<String>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("无法读取文件 {}", path.display()))?;
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    let mut lines_of: HashMap<(String, String), usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        match CatalogueDocument::parse(line) {
            Ok(d) => {
                if let Some(first) = lines_of.insert((d.agency.clone(), d.number.clone()), n) {
                    errors.push(format!(
                        "第{n}行：文号「{}」与第{first}行重复（同一机关的文号应唯一；更正请只保留一行）",
                        d.number
                    ));
                } else {
                    documents.push((n, d));
                }
            }
            Err(field_errors) => {
                for e in field_errors {
                    errors.push(format!("第{n}行：{e}"));
                }
            }
        }
    }
    if errors.is_empty() && documents.is_empty() {
        errors.push("文件中没有任何记录".into());
    }
    Ok(if errors.is_empty() {
        Ok(documents)
    } else {
        Err(errors)
    })
}

fn date_cell(text: &str) -> String {
    if text.is_empty() {
        "—".into()
    } else {
        text.into()
    }
}

fn kind_label(code: &str) -> String {
    code.parse::<DocumentKind>()
        .map(|k| k.label().to_string())
        .unwrap_or_else(|_| code.to_string())
}

/// Import a catalogue file: the summary, or the file's errors by line (nothing imported).
pub async fn import_file(
    clients: &Clients,
    file: &PathBuf,
    actor: &str,
) -> anyhow::Result<Result<String, Vec<String>>> {
    let documents = match read_catalogue(file)? {
        Ok(d) => d,
        Err(errors) => return Ok(Err(errors)),
    };
    let mut c = clients.publishing.clone();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for chunk in requests(&documents) {
        let response = c
            .import_catalogue(pb::ImportCatalogueRequest {
                context: Some(pb::CommandContext {
                    actor: actor.to_string(),
                    on: String::new(),
                    command_id: String::new(),
                }),
                documents: chunk.iter().map(|(_, d)| to_message(d)).collect(),
            })
            .await
            .map_err(|s| {
                anyhow::anyhow!(
                    "第{}–{}行未导入：{}",
                    chunk[0].0,
                    chunk[chunk.len() - 1].0,
                    describe_status(&s)
                )
            })?
            .into_inner();
        for r in response.results {
            *counts.entry(r.result).or_default() += 1;
        }
    }
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    Ok(Ok(format!(
        "{}：共{}件，新增{}件，更正{}件，未变{}件",
        file.display(),
        documents.len(),
        n("added"),
        n("corrected"),
        n("unchanged")
    )))
}

pub async fn run(clients: &Clients, command: CatalogueCommand) -> anyhow::Result<ExitCode> {
    let mut c = clients.publishing.clone();
    let fail = |s: tonic::Status| anyhow::anyhow!(describe_status(&s));
    match command {
        CatalogueCommand::Import { file, actor } => {
            Ok(match import_file(clients, &file, &actor).await? {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{e}");
                    }
                    eprintln!("{}：{}处错误，未导入任何文件", file.display(), errors.len());
                    ExitCode::from(1)
                }
            })
        }
        CatalogueCommand::List {
            agency,
            in_force_on,
            kind,
            format,
        } => {
            anyhow::ensure!(
                matches!(format.as_str(), "table" | "json"),
                "不支持的格式「{format}」，可用 table、json"
            );
            let documents = c
                .list_catalogue(pb::ListCatalogueRequest {
                    agency: agency.clone(),
                    in_force_on: in_force_on.map(|d| d.to_string()).unwrap_or_default(),
                    kind: kind.unwrap_or_default(),
                })
                .await
                .map_err(fail)?
                .into_inner()
                .documents;
            if format == "json" {
                for m in &documents {
                    let d = from_message(m)
                        .map_err(|e| anyhow::anyhow!("服务返回的文件无效：{}", e[0]))?;
                    println!("{}", d.to_json_line());
                }
                return Ok(ExitCode::SUCCESS);
            }
            let mut table = Table::new([
                "文号",
                "类别",
                "标题",
                "成文日期",
                "公开日期",
                "有效期至",
                "废止日期",
                "废止文件",
            ]);
            for d in &documents {
                table.row([
                    d.number.clone(),
                    kind_label(&d.kind),
                    d.title.clone(),
                    date_cell(&d.issued_on),
                    date_cell(&d.published_on),
                    date_cell(&d.valid_until),
                    date_cell(&d.repealed_on),
                    date_cell(&d.repealed_by),
                ]);
            }
            print!("{table}");
            let scope = in_force_on
                .map(|d| format!("{d}现行有效的"))
                .unwrap_or_default();
            println!("{agency}：{scope}文件共{}件", documents.len());
            Ok(ExitCode::SUCCESS)
        }
        CatalogueCommand::Repeal {
            number,
            agency,
            on,
            by,
            actor,
        } => {
            let response = c
                .repeal_document(pb::RepealDocumentRequest {
                    context: Some(pb::CommandContext {
                        actor,
                        on: on.to_string(),
                        command_id: String::new(),
                    }),
                    agency: agency.clone(),
                    number: number.clone(),
                    repealed_by: by.unwrap_or_default(),
                })
                .await
                .map_err(fail)?
                .into_inner();
            if response.changed {
                println!("已登记：{agency}「{number}」自{on}废止");
            } else {
                println!("{agency}「{number}」已登记自{on}废止，未作改变");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
