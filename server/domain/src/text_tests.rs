use super::*;

/// (value, rule, the trimmed value or what the violation says).
fn table() -> Vec<(String, Rule, Result<&'static str, &'static str>)> {
    let s = |v: &str| v.to_string();
    vec![
        (s("  Greta Groot "), NAME, Ok("Greta Groot")),
        (
            s("Zoë Ørsted-Łukasiewicz"),
            NAME,
            Ok("Zoë Ørsted-Łukasiewicz"),
        ),
        // A zero-width non-joiner is part of Persian spelling.
        (s("محمد\u{200C}رضا"), NAME, Ok("محمد\u{200C}رضا")),
        (s(""), NAME, Ok("")),
        (s("   "), NAME.required(), Err("is required")),
        (s("Greta\u{1b}[31mRed"), NAME, Err("control characters")),
        (s("Greta\u{0}"), NAME, Err("control characters")),
        (s("Greta\u{9b}31m"), NAME, Err("control characters")),
        (s("Greta\u{7f}"), NAME, Err("control characters")),
        (s("Greta\r\nBcc: x"), NAME, Err("single line")),
        (s("Greta\r\n"), NAME, Ok("Greta")),
        (s("Greta\tGroot"), NAME, Err("control characters")),
        (s("evil\u{202E}gpj.exe"), NAME, Err("control characters")),
        (s("a\u{2066}b"), LABEL, Err("control characters")),
        (s("a\u{2028}b"), NOTE, Err("control characters")),
        ("x".repeat(200), NAME, Ok("")),
        ("x".repeat(201), NAME, Err("at most 200")),
        ("é".repeat(200), NAME, Ok("")),
        ("x".repeat(100_000), NAME, Err("at most 200")),
        (
            s("first line\nsecond\tline"),
            NOTE,
            Ok("first line\nsecond\tline"),
        ),
        (s("first\r\nsecond"), NOTE, Ok("first\nsecond")),
        (s("bare\rreturn"), NOTE, Err("control characters")),
        (
            s("\u{1b}]8;;http://evil\u{7}"),
            NOTE,
            Err("control characters"),
        ),
        ("x".repeat(2001), NOTE, Err("at most 2000")),
        ("x".repeat(121), LABEL, Err("at most 120")),
    ]
}

#[test]
fn every_text_rule_holds() {
    for (value, rule, want) in table() {
        let got = check(&value, rule);
        let shown: String = value.chars().take(40).collect();
        match (want, got) {
            (Ok(""), Ok(_)) => {}
            (Ok(clean), Ok(got)) => assert_eq!(got, clean, "{shown:?}"),
            (Err(part), Err(got)) => assert!(got.contains(part), "{shown:?}: {got}"),
            (want, got) => panic!("{shown:?}: wanted {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn emails_are_parsed_as_addresses() {
    let table: &[(&str, bool)] = &[
        ("greta@groot.example", true),
        ("  Greta.Groot+orders@mail.groot.example ", true),
        ("o'brien@pub.example.ie", true),
        ("jörg@müller.example", true),
        ("a@b.c", true),
        ("greta@groot.example\r\nBcc: all@victims.example", false),
        ("greta@groot.example\nBcc:x@y.example", false),
        ("greta@groot.example, other@x.example", false),
        ("Greta <greta@groot.example>", false),
        ("\"greta groot\"@groot.example", false),
        ("greta groot@groot.example", false),
        ("greta@@groot.example", false),
        ("gr@eta@groot.example", false),
        ("greta@groot", false),
        ("greta@groot..example", false),
        (".greta@groot.example", false),
        ("greta.@groot.example", false),
        ("greta@-groot.example", false),
        ("greta@groot-.example", false),
        ("greta@[127.0.0.1]", false),
        ("greta@127.0.0.1", false),
        ("@groot.example", false),
        ("greta@", false),
        ("not-an-email", false),
        ("greta\u{0}@groot.example", false),
        ("greta@groot.example\u{1b}[2J", false),
    ];
    for (address, ok) in table {
        assert_eq!(email(address, true).is_ok(), *ok, "{address:?}");
    }
    let long_local = format!("{}@groot.example", "g".repeat(65));
    assert!(email(&long_local, true).is_err());
    let long = format!("g@{}.example", "x".repeat(250));
    assert!(email(&long, true).is_err());
    assert_eq!(email("", false), Ok(String::new()));
    assert!(email("", true).is_err());
    assert_eq!(
        email(" greta@groot.example ", true).as_deref(),
        Ok("greta@groot.example")
    );
}

#[test]
fn violations_name_the_field_and_never_the_value() {
    let mut check = TextCheck::new();
    let huge = "q".repeat(100_000);
    check.text("application.legal_name", &huge, NAME);
    check.email("application.admin_email", "x@y.example\r\nBcc: z", true);
    check.text("fine", "ok", NAME);
    let Err(crate::DomainError::InvalidArgument { reason, violations }) =
        check.finish("INVALID_APPLICATION")
    else {
        panic!("expected violations");
    };
    assert_eq!(reason, "INVALID_APPLICATION");
    let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        ["application.legal_name", "application.admin_email"]
    );
    for v in &violations {
        assert!(!v.description.contains("qqq") && !v.description.contains("Bcc"));
        assert!(v.description.len() < 100, "{}", v.description);
    }
}
