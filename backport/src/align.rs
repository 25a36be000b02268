//! Aligning added declarations to the columns their block already uses.
//!
//! Pre-2018 GlusterFS lines up a function's declarations in columns:
//! `char              *eventstr              = NULL;`. clang-format can align
//! whole blocks, but only by rewriting every line in them; the engine must
//! touch the added lines alone. So this reads the columns the neighbouring,
//! untouched declarations agree on, and pads the added ones to match. Blocks
//! that are not aligned (clang-format's style) are left as they are.

use super::tokens;

struct Decl {
    indent: usize,
    ty: String,
    stars: usize,
    name: String,
    /// Text from `=` to the end, or the `;` (and anything after it).
    rest: String,
    name_col: usize,
    eq_col: Option<usize>,
}

const NOT_TYPES: [&str; 7] = [
    "return", "goto", "break", "continue", "case", "else", "default",
];

fn parse(line: &str) -> Option<Decl> {
    if !line.trim_end().ends_with(';') || line.contains('\t') {
        return None;
    }
    let toks = tokens::tokenize(line);
    let words = tokens::texts(line, &toks);
    if words.len() < 3 {
        return None;
    }
    let eq = words.iter().position(|w| *w == "=");
    let lhs_end = eq.unwrap_or(words.len() - 1);
    if lhs_end < 2 || eq.is_none() && words[words.len() - 1] != ";" {
        return None;
    }
    let name_i = lhs_end - 1;
    let is_ident = |w: &str| w.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic());
    if !is_ident(words[name_i]) {
        return None;
    }
    let mut ty_end = name_i;
    while ty_end > 0 && words[ty_end - 1] == "*" {
        ty_end -= 1;
    }
    let ty = &words[..ty_end];
    if ty.is_empty() || !ty.iter().all(|w| is_ident(w)) || NOT_TYPES.contains(&ty[0]) {
        return None;
    }
    let rest_start = eq.map_or(toks[name_i].end, |e| toks[e].start);
    Some(Decl {
        indent: toks[0].start,
        ty: ty.join(" "),
        stars: name_i - ty_end,
        name: words[name_i].to_string(),
        rest: line[rest_start..].trim().to_string(),
        name_col: toks[name_i].start,
        eq_col: eq.map(|e| toks[e].start),
    })
}

/// The column most of `cols` agree on, when at least two agree.
fn agreed(cols: impl Iterator<Item = usize>) -> Option<usize> {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    let mut total = 0;
    for c in cols {
        total += 1;
        match counts.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    let (col, n) = counts.into_iter().max_by_key(|&(c, n)| (n, c))?;
    (n >= 2 && n * 2 >= total).then_some(col)
}

/// Re-pads each added declaration (where `added[i]`) to its block's columns.
pub fn align_declarations(text: &str, added: &[bool]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let decls: Vec<Option<Decl>> = lines.iter().map(|l| parse(l)).collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for i in 0..lines.len() {
        let Some(d) = decls[i].as_ref().filter(|_| added.get(i) == Some(&true)) else {
            continue;
        };
        // The untouched declarations of the same block, above and below.
        let mut block: Vec<&Decl> = Vec::new();
        for range in [
            Box::new((0..i).rev()) as Box<dyn Iterator<Item = usize>>,
            Box::new(i + 1..lines.len()),
        ] {
            for j in range {
                match &decls[j] {
                    Some(n) if n.indent == d.indent => {
                        if added.get(j) != Some(&true) {
                            block.push(n);
                        }
                    }
                    _ => break,
                }
            }
        }
        let Some(name_col) = agreed(block.iter().map(|n| n.name_col)) else {
            continue;
        };
        // Alignment is only real if the types before that column differ in length.
        let padded = block
            .iter()
            .any(|n| n.indent + n.ty.len() + n.stars + 1 < n.name_col);
        if !padded {
            continue;
        }
        let mut line = format!("{}{}", " ".repeat(d.indent), d.ty);
        let star_col = name_col.saturating_sub(d.stars);
        line.push_str(&" ".repeat(star_col.saturating_sub(line.len()).max(1)));
        line.push_str(&"*".repeat(d.stars));
        line.push_str(&d.name);
        if d.eq_col.is_some() {
            let eq_col = agreed(block.iter().filter_map(|n| n.eq_col)).unwrap_or(0);
            line.push_str(&" ".repeat(eq_col.saturating_sub(line.len()).max(1)));
        }
        line.push_str(&d.rest);
        out[i] = line;
    }
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_added_declaration_to_block_columns() {
        let text = "        int                ret                   = 0;\n        char              *msg                   = NULL;\n        xlator_t *this = THIS;\n        struct addrinfo    hints;\n";
        let out = align_declarations(text, &[false, false, true, false]);
        assert_eq!(
            out.lines().nth(2).unwrap(),
            "        xlator_t          *this                  = THIS;"
        );
    }

    #[test]
    fn leaves_unaligned_blocks_alone() {
        let text = "    int ret = 0;\n    char *msg = NULL;\n    xlator_t *this = THIS;\n";
        assert_eq!(align_declarations(text, &[false, false, true]), text);
    }

    #[test]
    fn long_names_get_one_space_before_the_sign() {
        let text = "        int                ret                   = 0;\n        char              *msg                   = NULL;\n        char *volfile_server_transport = NULL;\n";
        let out = align_declarations(text, &[false, false, true]);
        assert_eq!(
            out.lines().nth(2).unwrap(),
            "        char              *volfile_server_transport = NULL;"
        );
    }
}
