//! The ```sh blocks of a Markdown page, in document order.

/// One fenced ```sh block.
#[derive(Clone, Debug)]
pub struct Block {
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The commands, as written.
    pub text: String,
}

/// Every ```sh block of `markdown` (fences at the start of a line, as on this project's pages).
pub fn sh_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, Vec<&str>)> = None;
    let mut other_fence = false;
    for (index, line) in markdown.lines().enumerate() {
        let fence = line.trim_end();
        match &mut open {
            Some((start, lines)) => {
                if fence == "```" {
                    blocks.push(Block {
                        line: *start,
                        text: lines.join("\n") + "\n",
                    });
                    open = None;
                } else {
                    lines.push(line);
                }
            }
            None if other_fence => other_fence = fence != "```",
            None if fence == "```sh" => open = Some((index + 1, Vec::new())),
            None if fence.starts_with("```") => other_fence = true,
            None => {}
        }
    }
    assert!(open.is_none(), "an unterminated ```sh block");
    blocks
}

/// The files the page asks the reader to write: ```yaml blocks whose first line is a comment
/// naming the file (`# ogf-values.yaml`), as (name, content).
pub fn named_yaml_files(markdown: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() != "```yaml" {
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| l.trim_end() != "```")
            .collect();
        let name = body
            .first()
            .and_then(|first| first.strip_prefix("# "))
            .map(str::trim)
            .filter(|n| {
                n.ends_with(".yaml")
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            });
        if let Some(name) = name {
            files.push((name.to_string(), body.join("\n") + "\n"));
        }
    }
    files
}

/// The one block containing `fragment`; panics when none or several do (the page changed).
pub fn the_block<'a>(blocks: &'a [Block], fragment: &str) -> &'a Block {
    let matching: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.text.contains(fragment))
        .collect();
    match matching.as_slice() {
        [one] => one,
        other => panic!(
            "docs/operator.md: {} ```sh blocks contain {fragment:?}, expected exactly one \
             (the page changed: update e2e/tests/docs_operator.rs)",
            other.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_blocks_only_in_order() {
        let md = "text\n```sh\na\nb\n```\n```yaml\nx: 1\n```\n```text\n```sh\n```\n```sh\nc\n```\n";
        let blocks = sh_blocks(md);
        assert_eq!(blocks.len(), 2);
        assert_eq!((blocks[0].line, blocks[0].text.as_str()), (2, "a\nb\n"));
        assert_eq!((blocks[1].line, blocks[1].text.as_str()), (12, "c\n"));
    }

    #[test]
    fn finds_yaml_blocks_that_name_their_file() {
        let md = "```yaml\n# values.yaml\na: 1\n```\n```yaml\n# not a file name\n```\n```yaml\nb: 2\n```\n";
        assert_eq!(
            named_yaml_files(md),
            [(
                "values.yaml".to_string(),
                "# values.yaml\na: 1\n".to_string()
            )]
        );
    }
}
