//! A JUnit report checked against what the JUnit schema (Jenkins' `junit-10.xsd`, which CI
//! systems read) requires: a `testsuites` root of `testsuite` elements, each with `name` and
//! `tests` (and `failures`, `errors` that agree with its test cases); `testcase` elements
//! with a `name` (and here a `classname`); at most one `failure` or `error` per test case;
//! `property` elements with `name` and `value`, inside `properties`.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// A test case, as the report has it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Case {
    pub(crate) suite: String,
    pub(crate) name: String,
    /// The `type` of its failure, if it failed.
    pub(crate) failure: Option<String>,
    /// Its `fingerprint` properties.
    pub(crate) fingerprints: Vec<String>,
}

fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element.try_get_attribute(name).ok().flatten().map(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .unwrap()
            .into_owned()
    })
}

fn required(element: &BytesStart<'_>, name: &str) -> Result<String, String> {
    attribute(element, name).ok_or_else(|| {
        format!(
            "<{}> has no `{name}` attribute",
            String::from_utf8_lossy(element.name().as_ref())
        )
    })
}

/// Checks `xml`; its test cases.
pub(crate) fn validate(xml: &str) -> Result<Vec<Case>, String> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut cases = Vec::new();
    // The open suite: its name, declared tests, failures and errors, and what it holds.
    let mut suite: Option<(String, usize, usize, usize, usize, usize, usize)> = None;
    let mut roots = 0;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let (element, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(_) => {
                if path.pop().as_deref() == Some("testsuite") {
                    let (name, tests, failures, errors, n, f, e) = suite.take().unwrap();
                    if (tests, failures, errors) != (n, f, e) {
                        return Err(format!(
                            "suite {name} says {tests} tests, {failures} failures, {errors} \
                             errors, but holds {n}, {f}, {e}"
                        ));
                    }
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let element = element.unwrap();
        let tag = String::from_utf8_lossy(element.name().as_ref()).into_owned();
        let parent = path.last().map(String::as_str);
        match (parent, tag.as_str()) {
            (None, "testsuites") => roots += 1,
            (Some("testsuites"), "testsuite") => {
                let count = |name| -> Result<usize, String> {
                    required(&element, name)?
                        .parse()
                        .map_err(|_| format!("<testsuite {name}> is not a number"))
                };
                suite = Some((
                    required(&element, "name")?,
                    count("tests")?,
                    count("failures")?,
                    count("errors")?,
                    0,
                    0,
                    0,
                ));
            }
            (Some("testsuite"), "testcase") => {
                let suite = suite.as_mut().unwrap();
                suite.4 += 1;
                required(&element, "classname")?;
                cases.push(Case {
                    suite: suite.0.clone(),
                    name: required(&element, "name")?,
                    failure: None,
                    fingerprints: Vec::new(),
                });
            }
            (Some("testsuite" | "testcase"), "properties") => {}
            (Some("properties"), "property") => {
                let (name, value) = (required(&element, "name")?, required(&element, "value")?);
                if path.get(path.len() - 2).map(String::as_str) == Some("testcase")
                    && name == "fingerprint"
                {
                    cases.last_mut().unwrap().fingerprints.push(value);
                }
            }
            (Some("testcase"), "failure" | "error") => {
                let case = cases.last_mut().unwrap();
                if case.failure.is_some() {
                    return Err(format!("{} has two failures", case.name));
                }
                required(&element, "message")?;
                case.failure = Some(required(&element, "type")?);
                let suite = suite.as_mut().unwrap();
                if tag == "failure" {
                    suite.5 += 1;
                } else {
                    suite.6 += 1;
                }
            }
            (Some("testcase" | "testsuite"), "system-out" | "system-err") => {}
            (parent, tag) => return Err(format!("<{tag}> is not allowed in {parent:?}")),
        }
        if !empty {
            path.push(tag);
        }
    }
    if roots != 1 {
        return Err(format!("{roots} <testsuites> roots"));
    }
    Ok(cases)
}

#[test]
fn the_checker_rejects_what_the_schema_does() {
    let good = r#"<testsuites><testsuite name="a" tests="1" failures="1" errors="0"><testcase name="t" classname="a"><properties><property name="fingerprint" value="f"/></properties><failure message="m" type="panic">text</failure></testcase></testsuite></testsuites>"#;
    assert_eq!(
        validate(good).unwrap(),
        [Case {
            suite: "a".to_owned(),
            name: "t".to_owned(),
            failure: Some("panic".to_owned()),
            fingerprints: vec!["f".to_owned()],
        }]
    );
    for (bad, why) in [
        (good.replace(r#" name="a""#, ""), "no `name`"),
        (good.replace(r#"tests="1""#, r#"tests="2""#), "says 2 tests"),
        (good.replace(r#" classname="a""#, ""), "no `classname`"),
        (good.replace(r#" message="m""#, ""), "no `message`"),
        (
            good.replace("<properties>", "<bogus/><properties>"),
            "<bogus>",
        ),
        (
            good.replace("<testsuites>", "")
                .replace("</testsuites>", ""),
            "allowed",
        ),
    ] {
        let error = validate(&bad).unwrap_err();
        assert!(error.contains(why), "{why}: {error}");
    }
}
