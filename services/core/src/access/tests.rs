use super::*;

/// The table of roles.md, written out row by row: permission code, then the roles holding it.
const TABLE: &[(&str, &[&str])] = &[
    (
        "case.read",
        &[
            "registrar",
            "handler",
            "approver",
            "signer",
            "office",
            "viewer",
        ],
    ),
    ("case.submit", &["registrar", "handler"]),
    ("case.amend", &["registrar", "handler"]),
    ("case.accept", &["handler"]),
    ("case.correction", &["handler"]),
    ("case.consult", &["handler"]),
    ("case.fee", &["handler"]),
    ("case.draft", &["handler"]),
    ("case.serve", &["handler"]),
    ("case.extend", &["handler"]),
    ("extension.approve", &["approver", "signer"]),
    ("reply.approve", &["approver", "signer"]),
    ("reply.return", &["approver", "signer"]),
    ("case.review", &["handler", "office"]),
    ("case.assign", &["registrar", "approver", "office"]),
    (
        "applicant.view_full",
        &["registrar", "handler", "approver", "signer"],
    ),
    ("report.read", &["signer", "office", "viewer"]),
    ("report.enter", &["office"]),
    ("report.lock", &["office"]),
    ("audit.read", &["auditor"]),
    ("user.create", &["sysadmin"]),
    ("user.list", &["sysadmin"]),
    ("user.disable", &["sysadmin"]),
    ("user.enable", &["sysadmin"]),
    ("user.reset_password", &["sysadmin"]),
    ("user.grant", &["sysadmin"]),
    ("user.revoke", &["sysadmin"]),
    ("agency.add", &["sysadmin"]),
    ("agency.list", &["sysadmin"]),
    ("agency.update", &["sysadmin"]),
    ("policy.read", &["secadmin"]),
    ("policy.update", &["secadmin"]),
    ("policy.rotate_key", &["secadmin"]),
];

#[test]
fn every_role_and_permission_is_as_the_table_says() {
    assert_eq!(
        TABLE.len(),
        Permission::ALL.len(),
        "every permission has a row"
    );
    for permission in Permission::ALL {
        let (_, holders) = TABLE
            .iter()
            .find(|(code, _)| *code == permission.code())
            .unwrap_or_else(|| panic!("{permission} missing from the table"));
        for role in Role::ALL {
            assert_eq!(
                role.grants(permission),
                holders.contains(&role.code()),
                "{role} × {permission}"
            );
        }
    }
}

#[test]
fn admin_roles_hold_no_business_permission_and_business_roles_no_admin_one() {
    for role in Role::ALL {
        for permission in Permission::ALL {
            if role.grants(permission) {
                assert_eq!(
                    role.is_admin(),
                    !permission.is_scoped(),
                    "{role} × {permission}"
                );
            }
        }
    }
}

#[test]
fn codes_round_trip() {
    for role in Role::ALL {
        assert_eq!(role.code().parse::<Role>().unwrap(), role);
    }
    let e = "clerk".parse::<Role>().unwrap_err().to_string();
    assert!(e.contains("未知角色「clerk」"), "{e}");
    assert_eq!("subtree".parse::<Scope>().unwrap(), Scope::Subtree);
}

#[test]
fn admin_roles_are_exclusive() {
    use Role::*;
    assert!(check_roles(&[Registrar, Handler]).is_ok());
    assert!(check_roles(&[Sysadmin]).is_ok());
    assert!(check_roles(&[Auditor, Auditor]).is_ok());
    assert_eq!(check_roles(&[]), Err(AccessError::NoRole));
    for admin in [Sysadmin, Secadmin, Auditor] {
        for other in Role::ALL.into_iter().filter(|r| *r != admin) {
            let e = check_roles(&[other, admin]).unwrap_err();
            assert!(e.to_string().contains("三员分立"), "{e}");
        }
    }
}

fn registry() -> Hierarchy {
    Hierarchy::new([
        ("区人民政府".to_string(), None),
        ("区教育局".to_string(), Some("区人民政府".to_string())),
        ("区第一中学".to_string(), Some("区教育局".to_string())),
        ("区卫健局".to_string(), Some("区人民政府".to_string())),
        ("市人民政府".to_string(), None),
    ])
    .unwrap()
}

fn user(roles: &[Role], agency: &str, scope: Scope) -> Principal {
    Principal {
        username: "wang".into(),
        agency: agency.into(),
        department: String::new(),
        roles: roles.to_vec(),
        scope,
        agencies: registry().reach(agency, scope),
    }
}

#[test]
fn scope_reaches_own_subtree_or_all() {
    let r = registry();
    assert_eq!(r.reach("区教育局", Scope::Own), ["区教育局"]);
    assert_eq!(
        r.reach("区人民政府", Scope::Subtree),
        ["区人民政府", "区卫健局", "区教育局", "区第一中学"]
    );
    assert_eq!(r.reach("区教育局", Scope::Assigned), ["区教育局"]);
    assert_eq!(r.reach("x", Scope::All).len(), 5);
    let cycle = Hierarchy::new([
        ("甲".to_string(), Some("乙".to_string())),
        ("乙".to_string(), Some("甲".to_string())),
    ]);
    assert!(cycle.is_err());
}

#[test]
fn permission_and_scope_are_checked_together() {
    let handler = user(&[Role::Handler], "区教育局", Scope::Own);
    assert_eq!(
        handler.authorize(Permission::CaseAccept, "区教育局"),
        Ok(())
    );
    let e = handler
        .authorize(Permission::CaseAccept, "区人民政府")
        .unwrap_err();
    assert_eq!(e, Denial::Scope("区人民政府".into()));
    assert!(e.to_string().starts_with("无权访问该机关的案件"), "{e}");
    let e = handler
        .authorize(Permission::ReportRead, "区教育局")
        .unwrap_err();
    assert_eq!(e, Denial::Permission(Permission::ReportRead));
    assert!(e.to_string().contains("查阅年度报告"), "{e}");

    let office = user(&[Role::Office], "区人民政府", Scope::Subtree);
    assert_eq!(
        office.authorize(Permission::ReportLock, "区第一中学"),
        Ok(())
    );
    assert!(matches!(
        office.authorize(Permission::ReportLock, "市人民政府"),
        Err(Denial::ReportScope(_))
    ));
    assert!(
        !office.sees_full("区人民政府"),
        "office sees masked numbers"
    );
    assert!(handler.sees_full("区教育局"));
    assert!(!handler.sees_full("区人民政府"), "not outside scope");

    let sysadmin = user(&[Role::Sysadmin], "区人民政府", Scope::Own);
    assert_eq!(sysadmin.authorize(Permission::UserCreate, ""), Ok(()));
    assert!(
        sysadmin
            .authorize(Permission::CaseRead, "区人民政府")
            .is_err()
    );
}

#[test]
fn whoever_drafted_or_requested_cannot_approve() {
    let approver = user(&[Role::Approver, Role::Handler], "区教育局", Scope::Own);
    assert!(matches!(
        approver.check_not_drafter("wang"),
        Err(Denial::OwnDraft(_))
    ));
    assert_eq!(approver.check_not_drafter("li"), Ok(()));
    assert!(approver.check_not_extension_requester("wang").is_err());
    assert_eq!(approver.check_not_extension_requester(""), Ok(()));
}

#[test]
fn masking_keeps_what_roles_md_keeps() {
    assert_eq!(
        crate::identity::mask_id_number("510904198507120038"),
        "510904********0038"
    );
    assert_eq!(crate::identity::mask_phone("13800000017"), "138****0017");
    assert_eq!(mask_email("wangjh@example.cn"), "w***@example.cn");
}

#[test]
fn the_assigned_scope_reaches_only_the_users_own_cases() {
    let p = user(&[Role::Handler], "区教育局", Scope::Assigned);
    assert_eq!(p.check_assigned("wang"), Ok(()));
    assert_eq!(p.check_assigned("li"), Err(Denial::NotAssigned));
    assert_eq!(
        p.check_assigned(""),
        Err(Denial::NotAssigned),
        "given to nobody"
    );
    assert!(Denial::NotAssigned.to_string().contains("本人承办的案件"));
    let own = user(&[Role::Handler], "区教育局", Scope::Own);
    assert_eq!(own.check_assigned("li"), Ok(()));
}
