//! A small well-formedness checker for the XHTML-compatible page `explain --format html` writes:
//! every element closed in order, every attribute quoted, no stray `<`, `>` or `&` in text.

/// Checks `html` and returns the names of its elements in document order.
pub(crate) fn check(html: &str) -> Result<Vec<String>, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut elements = Vec::new();
    let mut rest = html;
    let mut roots = 0;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            text(rest)?;
            break;
        };
        text(&rest[..open])?;
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<!DOCTYPE html>") {
            rest = after;
            continue;
        }
        let close = rest
            .find('>')
            .ok_or_else(|| format!("unclosed tag at {:?}", head(rest)))?;
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .ok_or_else(|| format!("</{name}> closes nothing"))?;
            if open != name {
                return Err(format!("</{name}> closes <{open}>"));
            }
            continue;
        }
        let (tag, self_closing) = match tag.strip_suffix('/') {
            Some(tag) => (tag, true),
            None => (tag, false),
        };
        let name = tag.split_whitespace().next().unwrap_or_default().to_owned();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad tag <{tag}>"));
        }
        attributes(&tag[name.len()..]).map_err(|e| format!("<{name}>: {e}"))?;
        if stack.is_empty() {
            roots += 1;
        }
        elements.push(name.clone());
        if self_closing {
            continue;
        }
        if ["meta", "link", "br", "hr", "img", "input"].contains(&name.as_str()) {
            return Err(format!("<{name}> is not closed (write <{name} …/>)"));
        }
        if name == "style" {
            // Raw text up to its end tag.
            let end = rest.find("</style>").ok_or("<style> is not closed")?;
            rest = &rest[end..];
        }
        stack.push(name);
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> is not closed"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(elements)
}

fn head(text: &str) -> &str {
    &text[..text.len().min(40)]
}

/// `name="value"` pairs, values without `<` or a raw `&`.
fn attributes(mut text: &str) -> Result<(), String> {
    loop {
        text = text.trim_start();
        if text.is_empty() {
            return Ok(());
        }
        let eq = text
            .find('=')
            .ok_or_else(|| format!("attribute without value: {text}"))?;
        let name = &text[..eq];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad attribute name {name:?}"));
        }
        let value = text[eq + 1..]
            .strip_prefix('"')
            .ok_or_else(|| format!("attribute {name} is not quoted"))?;
        let end = value
            .find('"')
            .ok_or_else(|| format!("attribute {name} is not closed"))?;
        if value[..end].contains('<') {
            return Err(format!("attribute {name} holds a raw <"));
        }
        self::text(&value[..end])?;
        text = &value[end + 1..];
    }
}

/// Text: no `>`, and `&` only as an entity.
fn text(text: &str) -> Result<(), String> {
    if text.contains('>') {
        return Err(format!("raw > in text {:?}", head(text)));
    }
    for (at, _) in text.match_indices('&') {
        let entity = &text[at..];
        let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
            .iter()
            .any(|e| entity.starts_with(e));
        if !ok {
            return Err(format!("raw & in text {:?}", head(entity)));
        }
    }
    Ok(())
}

#[test]
fn the_checker_rejects_what_it_should() {
    assert!(check("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"/></head><body><p>a &amp; b</p></body></html>\n").is_ok());
    for bad in [
        "<html><p></html>",
        "<html></p></html>",
        "<html><meta charset=\"utf-8\"></html>",
        "<html><p a=b></p></html>",
        "<html>a & b</html>",
        "<html>a > b</html>",
        "<html></html><html></html>",
        "<html><p>",
    ] {
        assert!(check(bad).is_err(), "{bad}");
    }
}
