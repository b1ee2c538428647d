//! The credential report reader on the sample and on every special value.

use super::*;

const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
const SAMPLE: &str = include_str!("../../../tests/fixtures/aws/credential-report-sample.csv");

fn read(text: &str, tenant: Option<&str>) -> Vec<Row> {
    let defaults = Defaults {
        tenant: tenant.map(Into::into),
        system: None,
    };
    Reader::new(text.as_bytes(), defaults)
        .unwrap_or_else(|p| panic!("{p:?}"))
        .collect()
}

fn grants(rows: &[Row]) -> Vec<(u64, String, String, IdentityKind)> {
    rows.iter()
        .map(|r| {
            let (line, rec) = r.clone().unwrap();
            (line, rec.identity_id, rec.entitlement, rec.identity_kind)
        })
        .collect()
}

#[test]
fn reads_the_sample_report() {
    let rows = read(SAMPLE, None);
    let got = grants(&rows);
    use IdentityKind::*;
    let expected: Vec<(u64, String, String, IdentityKind)> = [
        (2, "<root_account>", "console", BreakGlass),
        (3, "c.lena.brandt", "console", Human),
        (4, "svc-saltmarsh-etl", "access_key_1", ServiceAccount),
        (5, "key-billing-export", "access_key_1", ServiceAccount),
        (5, "key-billing-export", "access_key_2", ServiceAccount),
        (6, "ops-harbour", "console", Human),
    ]
    .into_iter()
    .map(|(l, u, e, k)| (l, u.to_string(), e.to_string(), k))
    .collect();
    assert_eq!(got, expected);

    let root = rows[0].clone().unwrap().1;
    assert_eq!(root.tenant, "111122223333", "the account id from the ARN");
    assert_eq!(root.system, SYSTEM);
    assert!(root.privileged);
    assert_eq!(root.relationship, Relationship::Unknown);
    assert_eq!(root.identity_name, "root user of account 111122223333");
    assert_eq!(
        root.last_used_at.unwrap().to_string(),
        "2026-01-04T08:00:00Z"
    );

    // Inactive key 1 of ops-harbour keeps its dates but is no grant.
    let ops = rows[5].clone().unwrap().1;
    assert_eq!(ops.last_used_at, None, "no_information is no date");
    assert_eq!(ops.credential_rotated_at, None);

    let key2 = rows[4].clone().unwrap().1;
    assert_eq!(key2.granted_at.unwrap().to_string(), "2025-06-01T12:00:00Z");
    assert_eq!(
        key2.credential_rotated_at.unwrap().to_string(),
        "2025-06-01T12:00:00Z"
    );
    assert_eq!(
        key2.last_used_at.unwrap().to_string(),
        "2026-03-02T07:00:00Z"
    );
    let key1 = rows[3].clone().unwrap().1;
    assert_eq!(key1.last_used_at, None, "a key never used is N/A");
}

#[test]
fn the_tenant_option_overrides_the_account() {
    let rows = read(SAMPLE, Some("northwind-aws"));
    assert!(
        rows.iter()
            .all(|r| r.clone().unwrap().1.tenant == "northwind-aws")
    );
}

#[test]
fn booleans_ignore_case_and_certificates_count() {
    let text = format!(
        "{HEADER}\nbob@x.example,arn:aws:iam::111122223333:user/bob@x.example,2024-01-01T00:00:00+00:00,TRUE,N/A,N/A,N/A,False,FALSE,2024-01-01T00:00:00+00:00,2024-02-01T00:00:00+00:00,us-east-1,s3,False,N/A,N/A,N/A,N/A,True,2024-03-01T00:00:00+00:00,false,N/A\n"
    );
    let got = grants(&read(&text, None));
    assert_eq!(
        got.iter().map(|g| g.2.as_str()).collect::<Vec<_>>(),
        ["console", "signing_certificate_1"]
    );
    let rows = read(&text, None);
    let cert = rows[1].clone().unwrap().1;
    assert_eq!(cert.granted_at, None);
    assert!(cert.credential_rotated_at.is_some());
    assert_eq!(cert.effective_email(), Some("bob@x.example"));
}

#[test]
fn users_without_access_become_no_grant() {
    let text = format!(
        "{HEADER}\nidle,arn:aws:iam::111122223333:user/idle,2024-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,2024-01-01T00:00:00+00:00,2024-02-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
    );
    let mut reader = Reader::new(text.as_bytes(), Defaults::default()).unwrap();
    assert!(reader.next().is_none());
    assert_eq!(reader.idle_users(), 1);
}

#[test]
fn an_empty_report_has_no_rows_and_an_empty_file_is_refused() {
    assert!(read(&format!("{HEADER}\n"), None).is_empty());
    let err = Reader::new("".as_bytes(), Defaults::default())
        .err()
        .unwrap();
    assert!(err[0].message.contains("empty"));
}

#[test]
fn problems_name_the_line_and_column() {
    let good = SAMPLE.lines().nth(2).unwrap();
    let text = format!(
        "{HEADER}\n{good}\n{}\n{}\n{}\n",
        good.replace("2025-02-27T09:00:00+00:00", "yesterday"),
        good.replace("true,2026-10-28", "maybe,2026-10-28"),
        good.replace("111122223333", "999988887777"),
    );
    let rows = read(&text, None);
    let problems: Vec<String> = rows
        .iter()
        .filter_map(|r| r.clone().err())
        .flatten()
        .map(|p| p.render("r.csv"))
        .collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].starts_with("r.csv:3: user_creation_time: \"yesterday\""));
    assert!(problems[1].starts_with("r.csv:4: password_enabled: \"maybe\""));
    assert!(problems[2].starts_with("r.csv:5: arn: account 999988887777 differs"));
}

#[test]
fn header_problems_reject_the_report() {
    let short = HEADER.replace(",cert_2_last_rotated", "");
    let err = Reader::new(short.as_bytes(), Defaults::default())
        .err()
        .unwrap();
    assert_eq!(err[0].field, "cert_2_last_rotated");
    assert_eq!(err[0].location, "1");
    let extra = format!("{HEADER},access_key_3_active\n");
    let reader = Reader::new(extra.as_bytes(), Defaults::default()).unwrap();
    assert_eq!(reader.warnings()[0].field, "access_key_3_active");
}

#[test]
fn arns_are_checked() {
    assert_eq!(
        parse_arn("arn:aws:iam::111122223333:user/contractors/c.ravi.menon"),
        Some(("111122223333", false))
    );
    assert_eq!(
        parse_arn("arn:aws-us-gov:iam::111122223333:root"),
        Some(("111122223333", true))
    );
    for bad in [
        "",
        "arn:aws:s3:::bucket",
        "arn:aws:iam::12:user/x",
        "arn:aws:iam::111122223333:role/x",
    ] {
        assert_eq!(parse_arn(bad), None, "{bad}");
    }
}
