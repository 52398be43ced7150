//! Signing in and out (`ogi login`, `ogi logout`, `ogi whoami`), the sysadmin's users and
//! agency registry (`ogi admin …`) and the auditor's trail (`ogi audit …`).

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use ogi_core::access::{Role, Scope};
use ogi_platform::error::describe_status;
use ogi_proto::v1 as pb;

use crate::credentials::{self, Credential};
use crate::endpoints::{Clients, Endpoints};

#[derive(Args)]
pub struct LoginArgs {
    /// 用户名
    #[arg(long, required_unless_present = "sso")]
    pub username: Option<String>,
    /// 从标准输入读取密码（第一行）；须修改初始密码时，第二行为新密码
    #[arg(long, conflicts_with = "sso")]
    pub password_stdin: bool,
    /// 经本机关的统一身份认证（OpenID Connect 单点登录）登录：打印登录地址，在浏览器中完成后自动返回
    #[arg(long)]
    pub sso: bool,
    /// 单点登录的本机回调端口（默认随机）
    #[arg(long, requires = "sso")]
    pub redirect_port: Option<u16>,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// 用户：新增、列出、停用、启用、重置密码、授予或收回角色（系统管理员）
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// 行政机关名录：登记、列出、修改（系统管理员）
    Agency {
        #[command(subcommand)]
        command: AgencyCommand,
    },
    /// 安全策略：口令规则、登录失败锁定、空闲退出、登录凭据有效期（安全管理员）
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// 签名密钥：轮换（安全管理员；原密钥签发的凭据在其有效期内仍然有效）
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// 显示现行安全策略
    Show {
        #[arg(long, value_enum, default_value_t)]
        format: ListFormat,
    },
    /// 修改安全策略（未给出的项保持不变；下次登录起生效）
    Set {
        /// 密码最短长度（8至64）
        #[arg(long)]
        min_length: Option<u32>,
        /// 密码须含的字符类别数（大写、小写、数字、其他，1至4）
        #[arg(long)]
        min_classes: Option<u32>,
        /// 连续登录失败多少次锁定账户（3至10）
        #[arg(long)]
        lockout_threshold: Option<u32>,
        /// 锁定分钟数（1至1440）
        #[arg(long)]
        lockout_minutes: Option<u32>,
        /// 控制台空闲多少分钟自动退出（1至120）
        #[arg(long)]
        idle_minutes: Option<u32>,
        /// 登录凭据有效分钟数（1至60）
        #[arg(long)]
        token_minutes: Option<u32>,
        /// 会话最长小时数（1至24）
        #[arg(long)]
        session_hours: Option<u32>,
    },
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// 生成新的签名密钥；上一把密钥仍可核验它签发的凭据
    Rotate,
}

#[derive(Clone, Copy, ValueEnum, Default)]
pub enum ListFormat {
    #[default]
    Table,
    Json,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// 新增用户（初始密码从标准输入读取，首次登录须修改）
    Add {
        #[arg(long)]
        username: String,
        /// 所属行政机关（须已登记）
        #[arg(long)]
        agency: String,
        /// 角色，可多次给出：registrar、handler、approver、signer、office、viewer、sysadmin、secadmin、auditor
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// 科室
        #[arg(long, default_value = "")]
        department: String,
        /// 权限范围：own（本机关，默认）、subtree（本机关及下级机关）、assigned（本人承办）
        #[arg(long, default_value = "own")]
        scope: String,
        /// 从标准输入读取初始密码
        #[arg(long)]
        password_stdin: bool,
    },
    /// 列出用户
    List {
        #[arg(long)]
        agency: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: ListFormat,
    },
    /// 停用用户（其会话在一分钟内失效）
    Disable { username: String },
    /// 启用用户
    Enable { username: String },
    /// 重置密码（新密码从标准输入读取，下次登录须修改）
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// 授予角色
    Grant {
        username: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// 收回角色
    Revoke {
        username: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum AgencyCommand {
    /// 登记行政机关
    Add {
        name: String,
        /// 上级机关（须已登记）
        #[arg(long)]
        parent: Option<String>,
        /// 统一社会信用代码或组织机构代码
        #[arg(long)]
        code: Option<String>,
        /// 答复书文号前缀，如 安府信公
        #[arg(long)]
        letter_prefix: Option<String>,
        /// 答复书载明的行政复议机关
        #[arg(long)]
        reconsideration_body: Option<String>,
    },
    /// 列出已登记的行政机关
    List {
        #[arg(long, value_enum, default_value_t)]
        format: ListFormat,
    },
    /// 修改行政机关（未给出的项保持不变）
    Update {
        name: String,
        #[arg(long)]
        parent: Option<String>,
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        letter_prefix: Option<String>,
        #[arg(long)]
        reconsideration_body: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// 列出审计记录（审计管理员）
    List {
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        agency: Option<String>,
        #[arg(long = "case")]
        case_id: Option<String>,
        /// 起始日期 YYYY-MM-DD
        #[arg(long)]
        from: Option<String>,
        /// 截止日期 YYYY-MM-DD（含）
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: ListFormat,
    },
    /// 校验审计记录的哈希链：被修改或删除的记录会被发现
    Verify,
}

fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{}", describe_status(&status))
}

/// The lines of standard input, read as needed.
struct StdinLines(std::io::Lines<std::io::StdinLock<'static>>);

impl StdinLines {
    fn new() -> Self {
        StdinLines(std::io::stdin().lock().lines())
    }

    fn next(&mut self, what: &str) -> anyhow::Result<String> {
        match self.0.next() {
            Some(line) => Ok(line?.trim_end_matches('\r').to_string()),
            None => anyhow::bail!("标准输入中缺少{what}"),
        }
    }
}

fn prompt(text: &str) -> anyhow::Result<String> {
    Ok(rpassword::prompt_password(text)?)
}

fn roles_text(codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| match c.parse::<Role>() {
            Ok(r) => format!("{}（{}）", r.label(), r.code()),
            Err(_) => c.clone(),
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn scope_text(code: &str) -> String {
    code.parse::<Scope>()
        .map(|s| s.label().to_string())
        .unwrap_or_else(|_| code.to_string())
}

/// Sign in and keep the credential; a due password change is made on the way.
pub async fn login(endpoints: &Endpoints, args: LoginArgs) -> anyhow::Result<ExitCode> {
    if args.sso {
        return sso_login(endpoints, args.redirect_port).await;
    }
    let username = args.username.clone().unwrap_or_default();
    let clients = Clients::anonymous(endpoints)?;
    let mut stdin = StdinLines::new();
    let password = if args.password_stdin {
        stdin.next("密码（第一行）")?
    } else {
        prompt("密码：")?
    };
    let mut accounts = clients.accounts.clone();
    let mut response = accounts
        .login(pb::LoginRequest {
            username: username.clone(),
            password: password.clone(),
        })
        .await
        .map_err(status_error)?
        .into_inner();
    if response.must_change_password {
        let new_password = if args.password_stdin {
            stdin.next("新密码（第二行；初始密码须在首次登录时修改）")?
        } else {
            eprintln!("初始密码须在首次登录时修改。");
            let first = prompt("新密码：")?;
            let again = prompt("确认新密码：")?;
            anyhow::ensure!(first == again, "两次输入的新密码不一致");
            first
        };
        response = accounts
            .change_password(pb::ChangePasswordRequest {
                username: username.clone(),
                password,
                new_password,
            })
            .await
            .map_err(status_error)?
            .into_inner();
    }
    save_signed_in(endpoints, response)
}

/// Keep the credential of a sign-in and say who is signed in.
fn save_signed_in(endpoints: &Endpoints, response: pb::LoginResponse) -> anyhow::Result<ExitCode> {
    let user = response.user.clone().unwrap_or_default();
    credentials::save(&Credential {
        username: user.username.clone(),
        accounts: endpoints.accounts.clone(),
        access_token: response.access_token,
        access_expires_at: response.access_expires_at,
        session_token: response.session_token,
        session_expires_at: response.session_expires_at,
    })?;
    println!(
        "已登录：{}（{}；{}）",
        user.username,
        if user.agency.is_empty() {
            "本机"
        } else {
            &user.agency
        },
        roles_text(&user.roles)
    );
    Ok(ExitCode::SUCCESS)
}

/// Single sign-on, authorization code with PKCE: the provider's page is opened in a browser
/// (its address printed), which comes back to a one-shot listener on this machine's loopback.
async fn sso_login(endpoints: &Endpoints, port: Option<u16>) -> anyhow::Result<ExitCode> {
    use ogi_platform::auth::sso;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))
        .await
        .map_err(|e| anyhow::anyhow!("无法在本机监听单点登录的回调端口：{e}"))?;
    let redirect_uri = format!(
        "http://127.0.0.1:{}/callback",
        listener.local_addr()?.port()
    );
    let (verifier, challenge) = sso::pkce_pair()?;
    let clients = Clients::anonymous(endpoints)?;
    let mut accounts = clients.accounts.clone();
    let begun = accounts
        .begin_sso(pb::BeginSsoRequest {
            redirect_uri: redirect_uri.clone(),
            code_challenge: challenge,
        })
        .await
        .map_err(status_error)?
        .into_inner();
    eprintln!("请在浏览器中打开以下地址，完成本机关统一身份认证后将自动返回：");
    eprintln!("{}", begun.authorization_url);
    let wait = std::time::Duration::from_secs(300);
    let (code, state) = tokio::time::timeout(wait, async {
        loop {
            let (mut stream, _) = listener.accept().await?;
            let mut line = String::new();
            let mut reader = BufReader::new(&mut stream);
            reader.read_line(&mut line).await?;
            // The rest of the request head, up to its blank line.
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).await? == 0 || header.trim().is_empty() {
                    break;
                }
            }
            // GET /callback?code=…&state=… HTTP/1.1
            let target = line.split_whitespace().nth(1).unwrap_or_default().to_string();
            let Some(query) = target
                .strip_prefix("/callback?")
                .map(str::to_string)
            else {
                let _ = stream
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
                continue;
            };
            let error = sso::query_value(&query, "error");
            let page = if error.is_some() {
                "单点登录未完成，请回到命令行查看原因。"
            } else {
                "单点登录完成，可以关闭此页面，回到命令行。"
            };
            let html = format!(
                "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>ogi 单点登录</title><p>{page}</p></html>"
            );
            let _ = stream
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                        html.len()
                    )
                    .as_bytes(),
                )
                .await;
            if let Some(error) = error {
                let detail = sso::query_value(&query, "error_description").unwrap_or_default();
                anyhow::bail!("统一身份认证拒绝了登录：{error} {detail}");
            }
            let code = sso::query_value(&query, "code").unwrap_or_default();
            let state = sso::query_value(&query, "state").unwrap_or_default();
            return Ok::<_, anyhow::Error>((code, state));
        }
    })
    .await
    .map_err(|_| anyhow::anyhow!("等待单点登录超时（5分钟）：请重新运行 ogi login --sso"))??;
    anyhow::ensure!(
        state == begun.state,
        "单点登录的回调与本次登录不符（state 不一致）：请重新运行 ogi login --sso"
    );
    let response = accounts
        .complete_sso(pb::CompleteSsoRequest {
            state,
            code,
            code_verifier: verifier,
        })
        .await
        .map_err(status_error)?
        .into_inner();
    save_signed_in(endpoints, response)
}

pub async fn logout(endpoints: &Endpoints) -> anyhow::Result<ExitCode> {
    let Some(credential) = credentials::load()? else {
        println!("尚未登录");
        return Ok(ExitCode::SUCCESS);
    };
    let clients = Clients::anonymous(endpoints)?;
    let ended = clients
        .accounts
        .clone()
        .logout(pb::LogoutRequest {
            session_token: credential.session_token,
        })
        .await;
    credentials::remove()?;
    match ended {
        Ok(_) => println!("已退出登录：{}", credential.username),
        Err(status) => println!(
            "已删除本机登录凭据；账户服务未确认会话结束：{}",
            describe_status(&status)
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn whoami(clients: &Clients) -> anyhow::Result<ExitCode> {
    let user = clients
        .accounts
        .clone()
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .map_err(status_error)?
        .into_inner();
    println!("用户     {}", user.username);
    println!(
        "机关     {}",
        if user.agency.is_empty() {
            "（本机）"
        } else {
            &user.agency
        }
    );
    if !user.department.is_empty() {
        println!("科室     {}", user.department);
    }
    println!("角色     {}", roles_text(&user.roles));
    println!("权限范围 {}", scope_text(&user.scope));
    println!("可访问   {}", user.agencies.join("、"));
    Ok(ExitCode::SUCCESS)
}

fn print_user(u: &pb::User) {
    println!(
        "{:<16} {:<24} {:<8} {:<6} {}",
        u.username,
        u.agency,
        scope_text(&u.scope),
        if !u.enabled {
            "停用"
        } else if !u.locked_until.is_empty() {
            "锁定"
        } else {
            "正常"
        },
        roles_text(&u.roles)
    );
}

fn user_json(u: &pb::User) -> serde_json::Value {
    serde_json::json!({
        "username": u.username,
        "agency": u.agency,
        "department": u.department,
        "roles": u.roles,
        "scope": u.scope,
        "enabled": u.enabled,
        "must_change_password": u.must_change_password,
        "locked_until": u.locked_until,
    })
}

fn read_secret(password_stdin: bool, what: &str) -> anyhow::Result<String> {
    if password_stdin {
        StdinLines::new().next(what)
    } else {
        let first = prompt(&format!("{what}："))?;
        let again = prompt(&format!("确认{what}："))?;
        anyhow::ensure!(first == again, "两次输入的密码不一致");
        Ok(first)
    }
}

pub async fn admin(clients: &Clients, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let mut a = clients.accounts.clone();
    match command {
        AdminCommand::User { command } => match command {
            UserCommand::Add {
                username,
                agency,
                roles,
                department,
                scope,
                password_stdin,
            } => {
                let password = read_secret(password_stdin, "初始密码")?;
                let u = a
                    .add_user(pb::AddUserRequest {
                        username,
                        agency,
                        department,
                        roles,
                        scope,
                        password,
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                println!("已新增用户（首次登录须修改密码）：");
                print_user(&u);
            }
            UserCommand::List { agency, format } => {
                let users = a
                    .list_users(pb::ListUsersRequest {
                        agency: agency.unwrap_or_default(),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner()
                    .users;
                match format {
                    ListFormat::Json => println!(
                        "{}",
                        serde_json::to_string_pretty(
                            &users.iter().map(user_json).collect::<Vec<_>>()
                        )?
                    ),
                    ListFormat::Table => {
                        println!(
                            "{:<16} {:<24} {:<8} {:<6} 角色",
                            "用户", "机关", "范围", "状态"
                        );
                        users.iter().for_each(print_user);
                    }
                }
            }
            UserCommand::Disable { username } => {
                let u = a
                    .set_user_enabled(pb::SetUserEnabledRequest {
                        username,
                        enabled: false,
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                println!("已停用（其会话在一分钟内在各服务失效）：");
                print_user(&u);
            }
            UserCommand::Enable { username } => {
                let u = a
                    .set_user_enabled(pb::SetUserEnabledRequest {
                        username,
                        enabled: true,
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                println!("已启用：");
                print_user(&u);
            }
            UserCommand::ResetPassword {
                username,
                password_stdin,
            } => {
                let password = read_secret(password_stdin, "新密码")?;
                let u = a
                    .reset_password(pb::ResetPasswordRequest { username, password })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                println!("已重置密码（下次登录须修改）：");
                print_user(&u);
            }
            UserCommand::Grant { username, roles } => {
                let u = a
                    .grant_roles(pb::ChangeRolesRequest { username, roles })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                println!("已授予角色（原会话在一分钟内失效，须重新登录）：");
                print_user(&u);
            }
            UserCommand::Revoke { username, roles } => {
                let u = a
                    .revoke_roles(pb::ChangeRolesRequest { username, roles })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                println!("已收回角色（原会话在一分钟内失效，须重新登录）：");
                print_user(&u);
            }
        },
        AdminCommand::Agency { command } => match command {
            AgencyCommand::Add {
                name,
                parent,
                code,
                letter_prefix,
                reconsideration_body,
            } => {
                let added = a
                    .add_agency(pb::Agency {
                        name,
                        code: code.unwrap_or_default(),
                        letter_prefix: letter_prefix.unwrap_or_default(),
                        reconsideration_body: reconsideration_body.unwrap_or_default(),
                        parent: parent.unwrap_or_default(),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                // The token's scope is computed from the registry when it is issued.
                clients.refresh_if_due(true).await?;
                println!("已登记行政机关：{}", added.name);
            }
            AgencyCommand::List { format } => {
                let list = a
                    .list_agencies(pb::ListAgenciesRequest {})
                    .await
                    .map_err(status_error)?
                    .into_inner()
                    .agencies;
                match format {
                    ListFormat::Json => {
                        let v: Vec<_> = list
                            .iter()
                            .map(|g| {
                                serde_json::json!({
                                    "name": g.name,
                                    "code": g.code,
                                    "letter_prefix": g.letter_prefix,
                                    "reconsideration_body": g.reconsideration_body,
                                    "parent": g.parent,
                                })
                            })
                            .collect();
                        println!("{}", serde_json::to_string_pretty(&v)?);
                    }
                    ListFormat::Table => {
                        println!("机关名称\t上级机关\t代码\t文号前缀\t复议机关");
                        for g in &list {
                            println!(
                                "{}\t{}\t{}\t{}\t{}",
                                g.name, g.parent, g.code, g.letter_prefix, g.reconsideration_body
                            );
                        }
                    }
                }
            }
            AgencyCommand::Update {
                name,
                parent,
                code,
                letter_prefix,
                reconsideration_body,
            } => {
                let list = a
                    .list_agencies(pb::ListAgenciesRequest {})
                    .await
                    .map_err(status_error)?
                    .into_inner()
                    .agencies;
                let current = list
                    .into_iter()
                    .find(|g| g.name == name)
                    .ok_or_else(|| anyhow::anyhow!("行政机关「{name}」未登记"))?;
                let updated = a
                    .update_agency(pb::Agency {
                        name,
                        code: code.unwrap_or(current.code),
                        letter_prefix: letter_prefix.unwrap_or(current.letter_prefix),
                        reconsideration_body: reconsideration_body
                            .unwrap_or(current.reconsideration_body),
                        parent: parent.unwrap_or(current.parent),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                println!("已修改行政机关：{}", updated.name);
            }
        },
        AdminCommand::Policy { command } => match command {
            PolicyCommand::Show { format } => {
                let p = a
                    .get_security_policy(pb::GetSecurityPolicyRequest {})
                    .await
                    .map_err(status_error)?
                    .into_inner();
                print_policy(&p, format);
            }
            PolicyCommand::Set {
                min_length,
                min_classes,
                lockout_threshold,
                lockout_minutes,
                idle_minutes,
                token_minutes,
                session_hours,
            } => {
                let p = a
                    .set_security_policy(pb::SetSecurityPolicyRequest {
                        password_min_length: min_length,
                        password_min_classes: min_classes,
                        lockout_threshold,
                        lockout_minutes,
                        token_minutes,
                        idle_minutes,
                        session_max_hours: session_hours,
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                println!("已修改安全策略（下次登录起生效）：");
                print_policy(&p, ListFormat::Table);
            }
        },
        AdminCommand::Key {
            command: KeyCommand::Rotate,
        } => {
            let keys = a
                .rotate_signing_key(pb::RotateSigningKeyRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            println!("已轮换签名密钥：");
            for k in &keys.keys {
                println!(
                    "  {}  {}",
                    k.key_id,
                    if k.current {
                        "现用（签发新凭据）"
                    } else {
                        "上一把（仅核验其已签发的凭据）"
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_policy(p: &pb::SecurityPolicy, format: ListFormat) {
    match format {
        ListFormat::Json => println!(
            "{}",
            serde_json::json!({
                "password_min_length": p.password_min_length,
                "password_min_classes": p.password_min_classes,
                "lockout_threshold": p.lockout_threshold,
                "lockout_minutes": p.lockout_minutes,
                "token_minutes": p.token_minutes,
                "idle_minutes": p.idle_minutes,
                "session_max_hours": p.session_max_hours,
                "updated_at": p.updated_at,
                "updated_by": p.updated_by,
            })
        ),
        ListFormat::Table => {
            println!("  密码最短长度：{}个字符", p.password_min_length);
            println!("  密码字符类别：至少{}类", p.password_min_classes);
            println!(
                "  登录失败锁定：连续{}次失败锁定{}分钟",
                p.lockout_threshold, p.lockout_minutes
            );
            println!("  控制台空闲退出：{}分钟", p.idle_minutes);
            println!("  会话最长：{}小时", p.session_max_hours);
            println!("  登录凭据有效期：{}分钟", p.token_minutes);
            if p.updated_by.is_empty() {
                println!("  （默认策略，尚未修改）");
            } else {
                println!("  最近修改：{}（{}）", p.updated_at, p.updated_by);
            }
        }
    }
}

pub async fn audit(clients: &Clients, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let mut a = clients.accounts.clone();
    match command {
        AuditCommand::List {
            actor,
            agency,
            case_id,
            from,
            to,
            format,
        } => {
            let mut entries = Vec::new();
            let mut after = 0;
            loop {
                let page = a
                    .list_audit(pb::ListAuditRequest {
                        actor: actor.clone().unwrap_or_default(),
                        agency: agency.clone().unwrap_or_default(),
                        case_id: case_id.clone().unwrap_or_default(),
                        from: from.clone().unwrap_or_default(),
                        to: to.clone().unwrap_or_default(),
                        page_size: 1000,
                        after_seq: after,
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                entries.extend(page.entries);
                if page.next_after_seq == 0 {
                    break;
                }
                after = page.next_after_seq;
            }
            match format {
                ListFormat::Json => {
                    let v: Vec<_> = entries
                        .iter()
                        .map(|e| {
                            serde_json::json!({
                                "seq": e.seq,
                                "at": e.at,
                                "actor": e.actor,
                                "agency": e.agency,
                                "action": e.action,
                                "case": e.case_id,
                                "target_agency": e.target_agency,
                                "result": e.result,
                                "reason": e.reason,
                                "source": e.source,
                            })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                ListFormat::Table => {
                    println!("时间\t操作人\t操作\t结果\t对象机关\t案件\t原因\t来源");
                    for e in &entries {
                        let result = ogi_core::access::audit::AuditResult::from_code(&e.result)
                            .map(|r| r.label())
                            .unwrap_or(&e.result);
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            e.at,
                            e.actor,
                            e.action,
                            result,
                            e.target_agency,
                            e.case_id,
                            e.reason,
                            e.source
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify => {
            let v = a
                .verify_audit(pb::VerifyAuditRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            if v.intact {
                println!("审计日志完整：共{}条记录，哈希链无断裂", v.entries_checked);
                Ok(ExitCode::SUCCESS)
            } else {
                println!("审计日志被篡改：{}", v.problem);
                Ok(ExitCode::from(1))
            }
        }
    }
}
