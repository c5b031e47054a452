//! Certificates: issue on grading or after approval, the register, the
//! credential a third party verifies with the JWKS alone, the status list,
//! revocation everywhere, re-issue, lookups.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::exams::{Exam, exam, right_options};
use crate::helpers::{TestApp, json as body, spawn_app_with};

/// Takes the exam with every answer right and submits; returns the attempt id.
pub(crate) async fn pass(e: &Exam) -> String {
    assert_eq!(e.register().await.status(), StatusCode::CREATED);
    let a = body(e.start(json!({})).await).await;
    let id = a["id"].as_str().unwrap().to_string();
    for q in a["questions"].as_array().unwrap() {
        let right = right_options(&e.app, q).await;
        let r = e
            .save(
                &e.learner,
                &id,
                q["position"].as_i64().unwrap(),
                json!(right),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = e
        .app
        .api
        .post(e.app.url(&format!("/api/v1/attempts/{id}/submit")))
        .bearer_auth(&e.learner)
        .send()
        .await
        .unwrap();
    let result = body(r).await;
    assert_eq!(result["passed"], true, "{result}");
    id
}

async fn anon_get(app: &TestApp, path: &str) -> reqwest::Response {
    app.api.get(app.url(path)).send().await.unwrap()
}

/// Verifies a VC-JWT the way a third party would: with only the published
/// JWK set, accepting nothing but EdDSA.
fn third_party_verify(jwt: &str, jwks: &Value) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(jwt).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let set: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(jwks.clone()).map_err(|e| e.to_string())?;
    let jwk = set.find(&kid).ok_or("unknown kid")?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    jsonwebtoken::decode::<Value>(jwt, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

async fn list(app: &TestApp, path: &str) -> String {
    let r = anon_get(app, path).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/vc+jwt");
    r.text().await.unwrap()
}

async fn revoke(app: &TestApp, token: &str, b: Value) -> reqwest::Response {
    app.post_json("/api/v1/certificates/revoke", token, &b)
        .await
}

async fn reinstate(app: &TestApp, token: &str, code: &str, b: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/certificates/{code}/reinstate"), token, &b)
        .await
}

fn status_bit(list_jwt: &str, index: u32, jwks: &Value) -> bool {
    let claims = third_party_verify(list_jwt, jwks).expect("status list verifies");
    assert_eq!(
        claims["vc"]["type"][1], "BitstringStatusListCredential",
        "{claims}"
    );
    let encoded = claims["vc"]["credentialSubject"]["encodedList"]
        .as_str()
        .unwrap();
    let bits = ictskills::domain::certificate::decode_status_list(encoded).unwrap();
    assert!(bits.len() * 8 >= 131_072, "at least 131,072 entries");
    ictskills::domain::certificate::get_bit(&bits, index)
}

#[tokio::test]
async fn a_passing_candidate_gets_a_certificate_anyone_can_verify() {
    let e = exam(json!({}), json!({})).await;
    let attempt = pass(&e).await;

    // The holder finds it on their dashboard and in the API.
    let mine = body(e.app.get("/api/v1/me/certificates", &e.learner).await).await;
    assert_eq!(mine["total"], 1, "{mine}");
    let c = &mine["items"][0];
    let code = c["code"].as_str().unwrap().to_string();
    let serial = c["serial"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 12);
    assert_eq!(c["register_number"], 1);
    assert_eq!(c["status"], "valid");
    assert_eq!(c["level"], "basic");
    assert!(serial.ends_with("-000001"), "{serial}");
    assert!(serial.contains(&format!("-{}-", c["register_year"])));
    assert_eq!(c["holder"]["full_name"], "Nguyễn Văn An");
    assert_eq!(c["holder"]["date_of_birth"], "1985-04-12");

    // Issuing again for the same attempt changes nothing.
    let again = ictskills::services::certificates::issue_for_attempt(
        &e.app.state.db,
        &e.app.state.issuer,
        uuid::Uuid::parse_str(&attempt).unwrap(),
    )
    .await
    .unwrap();
    assert!(matches!(
        again,
        ictskills::services::certificates::Outcome::Existing(_)
    ));
    assert_eq!(e.app.count("certificates").await, 1);
    assert_eq!(
        ictskills::services::certificates::issue_pending(&e.app.state.db, &e.app.state.issuer)
            .await
            .unwrap(),
        0
    );

    // A stranger: the JSON and the page, without logging in.
    let r = anon_get(&e.app, &format!("/api/v1/certificates/{code}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let public = body(r).await;
    assert_eq!(public["serial"], serial.as_str());
    assert_eq!(public["status"], "valid");
    assert!(
        public.get("place_of_birth").is_none(),
        "private fields stay private"
    );
    let by_serial = body(anon_get(&e.app, &format!("/api/v1/certificates/{serial}")).await).await;
    assert_eq!(by_serial["code"], code.as_str());
    let page = anon_get(&e.app, &format!("/verify/{code}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Nguyễn Văn An") && html.contains("12/04/1985"),
        "{html}"
    );
    assert!(html.contains("Chứng chỉ còn hiệu lực"), "{html}");
    assert!(html.contains(&serial));

    // The signed credential, verified with the JWKS alone.
    let r = anon_get(&e.app, &format!("/api/v1/certificates/{code}/credential")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/vc+jwt");
    let jwt = r.text().await.unwrap();
    let jwks = body(anon_get(&e.app, "/.well-known/jwks.json").await).await;
    let claims = third_party_verify(&jwt, &jwks).expect("the credential verifies");
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    let vc = &claims["vc"];
    assert_eq!(
        vc["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(vc["@context"][0], "https://www.w3.org/ns/credentials/v2");
    assert_eq!(vc["credentialSubject"]["serialNumber"], serial.as_str());
    assert_eq!(claims["iss"], vc["issuer"]["id"]);
    assert!(claims["iss"].as_str().unwrap().starts_with("did:web:"));
    let did = body(anon_get(&e.app, "/.well-known/did.json").await).await;
    assert_eq!(did["id"], claims["iss"]);
    assert!(
        did["verificationMethod"][0]["id"]
            .as_str()
            .unwrap()
            .ends_with(header.kid.as_deref().unwrap())
    );
    // One character of the payload changed: verification fails.
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    let at = payload
        .windows(13)
        .position(|w| w == b"Nguy\xe1\xbb\x85n V\xc4\x83n".as_slice())
        .unwrap_or(10);
    payload[at] = b'M';
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(&payload),
        parts[2]
    );
    assert!(third_party_verify(&tampered, &jwks).is_err());
    // Our own checker agrees, and refuses other algorithms and keys.
    let check = |t: String| {
        let app = &e.app;
        async move {
            body(
                app.api
                    .post(app.url("/api/v1/credentials/verify"))
                    .json(&json!({ "credential": t }))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let ok = check(jwt.clone()).await;
    assert_eq!(ok["valid"], true, "{ok}");
    assert_eq!(ok["certificate"]["code"], code.as_str());
    assert_eq!(check(tampered).await["error"], "bad_signature");
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"none","kid":"{}"}}"#,
            header.kid.clone().unwrap()
        )),
        parts[1]
    );
    assert_eq!(check(none).await["error"], "algorithm_not_accepted");
    let x = URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["x"].as_str().unwrap())
        .unwrap();
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = header.kid.clone();
    let hs256 =
        jsonwebtoken::encode(&hs, &claims, &jsonwebtoken::EncodingKey::from_secret(&x)).unwrap();
    assert_eq!(
        check(hs256.clone()).await["error"],
        "algorithm_not_accepted"
    );
    assert!(third_party_verify(&hs256, &jwks).is_err());
    let (other, _) = ictskills::domain::certificate::generate_keypair().unwrap();
    let forged =
        ictskills::domain::certificate::sign(header.kid.as_deref().unwrap(), &other, &claims)
            .unwrap();
    assert_eq!(check(forged.clone()).await["error"], "bad_signature");
    assert!(third_party_verify(&forged, &jwks).is_err());

    // The PDF: the holder gets it; strangers do not.
    let r = e
        .app
        .get(&format!("/api/v1/certificates/{code}/pdf"), &e.learner)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(pdf.windows(9).any(|w| w == b"FontFile2"), "font embedded");
    assert_eq!(
        anon_get(&e.app, &format!("/api/v1/certificates/{code}/pdf"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let other = e.app.token_for("other@example.vn", &["learner"]).await;
    assert_eq!(
        e.app
            .get(&format!("/api/v1/certificates/{code}/pdf"), &other)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let json_download = e
        .app
        .get(
            &format!("/api/v1/certificates/{code}/credential.json"),
            &e.learner,
        )
        .await;
    assert_eq!(body(json_download).await["type"][1], "OpenBadgeCredential");

    // The e-mail, through the outbox.
    let mails = e.app.wait_for_mails(1).await;
    assert!(
        mails
            .iter()
            .any(|m| crate::helpers::mail_body(m).contains(&serial)),
        "an e-mail names the serial"
    );
}

#[tokio::test]
async fn the_dashboard_and_the_printable_page_show_the_certificate() {
    let e = exam(json!({}), json!({})).await;
    pass(&e).await;
    let mine = body(e.app.get("/api/v1/me/certificates", &e.learner).await).await;
    let code = mine["items"][0]["code"].as_str().unwrap().to_string();
    let client = e.app.logged_in_browser("ts@example.vn").await;
    let home = client
        .get(e.app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains(&format!("/certificates/{code}")),
        "dashboard links it"
    );
    let page = client
        .get(e.app.url(&format!("/certificates/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg"), "a QR code");
    assert!(html.contains("CHỨNG CHỈ ỨNG DỤNG CÔNG NGHỆ THÔNG TIN CƠ BẢN"));
    assert!(html.contains(&format!("/verify/{code}")));
    assert!(html.contains("Hà Nội"), "place of birth is printed");
    let pdf = client
        .get(e.app.url(&format!("/api/v1/certificates/{code}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        pdf.status(),
        StatusCode::OK,
        "the cookie session downloads the PDF"
    );
}

#[tokio::test]
async fn a_revoked_certificate_shows_as_revoked_everywhere_and_can_be_reinstated() {
    let e = exam(json!({}), json!({})).await;
    pass(&e).await;
    let mine = body(e.app.get("/api/v1/me/certificates", &e.learner).await).await;
    let code = mine["items"][0]["code"].as_str().unwrap().to_string();
    let serial = mine["items"][0]["serial"].as_str().unwrap().to_string();
    let jwt = anon_get(&e.app, &format!("/api/v1/certificates/{code}/credential"))
        .await
        .text()
        .await
        .unwrap();
    let jwks = body(anon_get(&e.app, "/.well-known/jwks.json").await).await;
    let claims = third_party_verify(&jwt, &jwks).unwrap();
    let status = &claims["vc"]["credentialStatus"];
    assert_eq!(status["type"], "BitstringStatusListEntry");
    assert_eq!(status["statusPurpose"], "revocation");
    let index: u32 = status["statusListIndex"].as_str().unwrap().parse().unwrap();
    let list_url = status["statusListCredential"].as_str().unwrap().to_string();
    let list_path = list_url
        .split_once("/api/")
        .map(|(_, p)| format!("/api/{p}"))
        .unwrap();
    assert!(!status_bit(&list(&e.app, &list_path).await, index, &jwks));

    // Not without a reason, not by a learner.
    let r = revoke(&e.app, &e.admin, json!({"serials": [serial]})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body(r).await["error"], "invalid_reason");
    let r = revoke(
        &e.app,
        &e.admin,
        json!({"serials": [serial], "reason": "because"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = revoke(
        &e.app,
        &e.learner,
        json!({"serials": [serial], "reason": "fraud"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = revoke(
        &e.app,
        &e.admin,
        json!({"serials": [serial], "codes": ["ZZZZZZZZZZZZ", "nonsense!"], "reason": "unauthorised_signer", "note": "Người ký không có thẩm quyền"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let report = body(r).await;
    assert_eq!(report["revoked"], json!([serial]));
    assert_eq!(report["unknown"], json!(["ZZZZZZZZZZZZ", "nonsense!"]));
    let again = body(
        revoke(
            &e.app,
            &e.admin,
            json!({"codes": [code], "reason": "fraud"}),
        )
        .await,
    )
    .await;
    assert_eq!(again["already"], json!([code]));

    // Everywhere: JSON, page, status list, checker, dashboard.
    let public = body(anon_get(&e.app, &format!("/api/v1/certificates/{code}")).await).await;
    assert_eq!(public["status"], "revoked");
    assert_eq!(public["revocation_reason"], "unauthorised_signer");
    assert!(public["revoked_on"].is_string());
    let html = anon_get(&e.app, &format!("/verify/{code}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Chứng chỉ đã bị thu hồi"), "{html}");
    assert!(html.contains("do người không có thẩm quyền ký"));
    assert!(status_bit(&list(&e.app, &list_path).await, index, &jwks));
    let checked = body(
        e.app
            .api
            .post(e.app.url("/api/v1/credentials/verify"))
            .json(&json!({ "credential": jwt }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(checked["valid"], false);
    assert_eq!(checked["status"], "revoked");
    let mine = body(e.app.get("/api/v1/me/certificates", &e.learner).await).await;
    assert_eq!(mine["items"][0]["status"], "revoked");

    // Reinstating needs a reason and is audited.
    assert_eq!(
        reinstate(&e.app, &e.admin, &code, json!({})).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = reinstate(
        &e.app,
        &e.admin,
        &code,
        json!({"reason": "Quyết định thu hồi bị hủy bỏ"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await["status"], "valid");
    assert_eq!(
        reinstate(
            &e.app,
            &e.admin,
            &code,
            json!({"reason": "lần nữa cho chắc"})
        )
        .await
        .status(),
        StatusCode::CONFLICT
    );
    assert!(!status_bit(&list(&e.app, &list_path).await, index, &jwks));
    let events = body(
        e.app
            .get(&format!("/api/v1/certificates/{code}/events"), &e.admin)
            .await,
    )
    .await;
    let kinds: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["issued", "revoked", "reinstated"]);
    assert_eq!(events["items"][2]["reason"], "Quyết định thu hồi bị hủy bỏ");
    assert_eq!(
        anon_get(&e.app, "/api/v1/status-lists/99").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn after_approval_sessions_issue_only_once_an_admin_approves() {
    let e = exam(json!({}), json!({"issue_mode": "after_approval"})).await;
    pass(&e).await;
    assert_eq!(e.app.count("certificates").await, 0, "not before approval");
    ictskills::services::certificates::issue_pending(&e.app.state.db, &e.app.state.issuer)
        .await
        .unwrap();
    assert_eq!(e.app.count("certificates").await, 0);
    let approve = |t: &str| {
        e.app
            .api
            .post(
                e.app
                    .url(&format!("/api/v1/exam-sessions/{}/approve", e.session)),
            )
            .bearer_auth(t.to_string())
            .send()
    };
    assert_eq!(
        approve(&e.learner).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let trainer = e.app.token_for("gv@example.vn", &["trainer"]).await;
    assert_eq!(
        approve(&trainer).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(e.app.count("certificates").await, 0);
    assert_eq!(approve(&e.admin).await.unwrap().status(), StatusCode::OK);
    assert_eq!(e.app.count("certificates").await, 1);
    assert_eq!(e.app.count("approval_entries").await, 1);
    approve(&e.admin).await.unwrap();
    assert_eq!(
        e.app.count("certificates").await,
        1,
        "approving twice issues once"
    );
    let mine = body(e.app.get("/api/v1/me/certificates", &e.learner).await).await;
    assert_eq!(mine["total"], 1);
}

/// Many passing attempts inserted directly (as graded), then issued in
/// parallel: register numbers 1..=N with no gap and no repeat.
async fn graded_passes(app: &TestApp, n: usize) -> Vec<uuid::Uuid> {
    ictskills::seed::on_first_start(&app.state.db)
        .await
        .unwrap();
    let session = crate::helpers::basic_session(app).await;
    let mut ids = Vec::new();
    for i in 0..n {
        let user = app
            .create_user(&format!("tt{i}@example.vn"), &["learner"])
            .await;
        ids.push(crate::helpers::graded_attempt(app, session, &user.to_string(), true).await);
    }
    ids
}

#[tokio::test]
async fn register_numbers_have_no_gap_when_many_are_issued_at_once() {
    let app = spawn_app_with(|s| s.certificates.issuer_interval_seconds = 3600).await;
    let attempts = graded_passes(&app, 24).await;
    // Each attempt asked twice, all at once.
    let mut tasks = Vec::new();
    for id in attempts.iter().chain(attempts.iter()) {
        let db = app.state.db.clone();
        let issuer = app.state.issuer.clone();
        let id = *id;
        tasks.push(tokio::spawn(async move {
            ictskills::services::certificates::issue_for_attempt(&db, &issuer, id).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    use ictskills::entities::certificate;
    use sea_orm::EntityTrait;
    let certs = certificate::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(certs.len(), 24, "one per attempt");
    let mut numbers: Vec<i32> = certs.iter().map(|c| c.register_number).collect();
    numbers.sort();
    assert_eq!(numbers, (1..=24).collect::<Vec<_>>());
    let serials: std::collections::HashSet<&str> =
        certs.iter().map(|c| c.serial.as_str()).collect();
    assert_eq!(serials.len(), 24);
    let slots: std::collections::HashSet<i32> = certs.iter().map(|c| c.status_index).collect();
    assert_eq!(slots.len(), 24);
    for c in &certs {
        assert!(c.serial.ends_with(&format!("{:06}", c.register_number)));
    }
    // The register pages and exports, for admins only.
    let admin = app.admin_token().await;
    let page = body(
        app.get("/api/v1/certificates?per_page=10&page=3", &admin)
            .await,
    )
    .await;
    assert_eq!(page["total"], 24);
    assert_eq!(page["items"][0]["register_number"], 21);
    let csv = app.get("/api/v1/certificates?format=csv", &admin).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 25);
    let xlsx = app.get("/api/v1/certificates?format=xlsx", &admin).await;
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let learner = app.token("tt0@example.vn").await;
    assert_eq!(
        app.get("/api/v1/certificates", &learner).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn bad_codes_get_clear_answers_and_lookups_are_rate_limited() {
    let app = spawn_app_with(|s| s.certificates.lookups_per_minute = 8).await;
    let attempts = graded_passes(&app, 1).await;
    ictskills::services::certificates::issue_for_attempt(
        &app.state.db,
        &app.state.issuer,
        attempts[0],
    )
    .await
    .unwrap();
    let admin = app.admin_token().await;
    let reg = body(app.get("/api/v1/certificates", &admin).await).await;
    let serial = reg["items"][0]["serial"].as_str().unwrap().to_string();
    let code = reg["items"][0]["code"].as_str().unwrap().to_string();

    let r = anon_get(&app, "/api/v1/certificates/ZZZZZZZZZZZZ").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(body(r).await["error"], "certificate_not_found");
    let r = anon_get(&app, "/api/v1/certificates/%3Cscript%3E").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(r).await["error"], "malformed_code");
    let r = anon_get(&app, "/verify/ZZZZZZZZZZZZ").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("Không tìm thấy chứng chỉ"));

    // The lookup form: serial + full name + date of birth.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect
        .get(app.url("/verify"))
        .query(&[
            ("serial", serial.to_lowercase().as_str()),
            ("full_name", "  nguyễn văn  an "),
            ("date_of_birth", "1985-04-12"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/verify/{code}").as_str());
    let r = no_redirect
        .get(app.url("/verify"))
        .query(&[
            ("serial", serial.as_str()),
            ("full_name", "Nguyễn Văn Anh"),
            ("date_of_birth", "1985-04-12"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Không có chứng chỉ nào khớp")
    );
    // The form itself is free; lookups count (8 a minute here).
    let mut limited = false;
    for _ in 0..10 {
        let r = anon_get(&app, &format!("/api/v1/certificates/{code}")).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(body(r).await["error"], "rate_limited");
            limited = true;
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert!(limited, "lookups are rate limited");
    assert_eq!(anon_get(&app, "/verify").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn rotated_keys_stay_published_and_reissue_keeps_the_numbers() {
    let app = spawn_app_with(|_| {}).await;
    let attempts = graded_passes(&app, 2).await;
    let issue = |id| {
        let db = app.state.db.clone();
        let issuer = app.state.issuer.clone();
        async move {
            match ictskills::services::certificates::issue_for_attempt(&db, &issuer, id)
                .await
                .unwrap()
            {
                ictskills::services::certificates::Outcome::Issued(c) => *c,
                other => panic!("{other:?}"),
            }
        }
    };
    let first = issue(attempts[0]).await;
    let admin = app.admin_token().await;
    let learner = app.token("tt0@example.vn").await;
    assert_eq!(
        app.post_json("/api/v1/signing-keys/rotate", &learner, &json!({}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let rotated = body(
        app.post_json("/api/v1/signing-keys/rotate", &admin, &json!({}))
            .await,
    )
    .await;
    let new_kid = rotated["kid"].as_str().unwrap().to_string();
    let second = issue(attempts[1]).await;
    let jwks = body(anon_get(&app, "/.well-known/jwks.json").await).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    third_party_verify(&first.credential, &jwks).expect("old certificates still verify");
    third_party_verify(&second.credential, &jwks).unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&second.credential)
            .unwrap()
            .kid
            .unwrap(),
        new_kid
    );
    assert_ne!(
        jsonwebtoken::decode_header(&first.credential)
            .unwrap()
            .kid
            .unwrap(),
        new_kid
    );

    // Re-issue: same serial and register number, a new issue record.
    let r = app
        .post_json(
            &format!("/api/v1/certificates/{}/reissue", first.code),
            &admin,
            &json!({"note": "Mất bản giấy"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let re = body(r).await;
    assert_eq!(re["serial"], first.serial.as_str());
    assert_eq!(re["register_number"], first.register_number);
    assert!(re["reissued_on"].is_string());
    assert_eq!(app.count("certificates").await, 2);
    assert_eq!(
        app.count("certificate_events").await,
        3,
        "two issues and one re-issue"
    );
    let pdf = app
        .get(
            &format!("/api/v1/certificates/{}/pdf", first.code),
            &learner,
        )
        .await;
    assert_eq!(pdf.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_permanent_records_of_a_session_are_printable_exportable_and_undeletable() {
    let e = exam(json!({}), json!({"issue_mode": "after_approval"})).await;
    let attempt = pass(&e).await;
    let r = e
        .app
        .post_json(
            &format!("/api/v1/exam-sessions/{}/approve", e.session),
            &e.admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let rec = body(
        e.app
            .get(
                &format!("/api/v1/exam-sessions/{}/records", e.session),
                &e.admin,
            )
            .await,
    )
    .await;
    let line = &rec["lines"][0];
    assert_eq!(line["full_name"], "Nguyễn Văn An");
    assert_eq!(line["passed"], true);
    assert_eq!(line["approved"], true);
    assert_eq!(line["attempt_id"], attempt.as_str());
    assert!(line["certificate_serial"].is_string());
    assert_eq!(line["certificate_status"], "valid");
    assert_eq!(
        e.app
            .get(
                &format!("/api/v1/exam-sessions/{}/records", e.session),
                &e.learner
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let csv = e
        .app
        .get(
            &format!("/api/v1/exam-sessions/{}/records?format=csv", e.session),
            &e.admin,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("Nguyễn Văn An") && csv.contains("Đạt"),
        "{csv}"
    );
    let xlsx = e
        .app
        .get(
            &format!("/api/v1/exam-sessions/{}/records?format=xlsx", e.session),
            &e.admin,
        )
        .await;
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    // Printable pages: the session's record and the paper with the key.
    let client = e.app.logged_in_browser("admin@example.vn").await;
    let page = client
        .get(e.app.url(&format!("/exam-sessions/{}/records", e.session)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Danh sách được cấp chứng chỉ") && page.contains("Nguyễn Văn An"));
    let paper = client
        .get(e.app.url(&format!("/attempts/{attempt}/paper")))
        .send()
        .await
        .unwrap();
    assert_eq!(paper.status(), StatusCode::OK);
    let paper = paper.text().await.unwrap();
    assert_eq!(paper.matches("class=\"card\"").count(), 30);
    assert!(paper.contains("đáp án"));
    // No route of the API deletes anything.
    let doc = body(anon_get(&e.app, "/api/openapi.json").await).await;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        assert!(ops.get("delete").is_none(), "DELETE {path}");
    }
}
