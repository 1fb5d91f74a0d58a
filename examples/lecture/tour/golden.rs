//! `tests/golden/lecture/cells.json`: the lecture's cells with the outputs
//! the lecture shows and TF 2.21 gives (its README says where it came from).

use serde_json::Value;

/// The JSON, built into the tour so that it runs from anywhere.
const CELLS_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/lecture/cells.json"));

/// One cell of the lecture.
#[derive(Clone, Debug)]
pub struct Golden {
    /// The cell's number, from 1, in the lecture's order.
    pub index: u32,
    /// The top heading.
    pub section: String,
    /// The heading chain.
    pub path: Vec<String>,
    /// The Python, verbatim.
    pub code: String,
    /// What the lecture shows (older TF, Python 3.10, with a GPU).
    pub lecture_output: String,
    /// What TF 2.21 gives.
    pub tf221_output: String,
    /// Whether the two agree.
    pub same: bool,
    /// `value`, `error`, `introspection` or `statement`.
    pub kind: String,
    /// The lecture's (Korean) text before the cell.
    pub note: String,
    /// Text after a section's last cell.
    pub note_after: Option<String>,
    /// Why the result exists only in Python, for Python-only cells.
    pub python_only: Option<String>,
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// The cells, in order.
pub fn load() -> Vec<Golden> {
    let all: Value = serde_json::from_str(CELLS_JSON).expect("cells.json is valid JSON");
    all.as_array()
        .expect("cells.json is a list of cells")
        .iter()
        .map(|c| Golden {
            index: c["index"].as_u64().expect("every cell has an index") as u32,
            section: text(c, "section"),
            path: c["path"].as_array().map_or_else(Vec::new, |p| {
                p.iter().filter_map(|s| s.as_str().map(String::from)).collect()
            }),
            code: text(c, "code"),
            lecture_output: text(c, "lecture_output"),
            tf221_output: text(c, "tf221_output"),
            same: c["same"].as_bool().unwrap_or(false),
            kind: text(c, "kind"),
            note: text(c, "note"),
            note_after: c["note_after"].as_str().map(String::from),
            python_only: c["python_only"].as_str().map(String::from),
        })
        .collect()
}

/// TF's error text as gradtape words it: TF 2.21 puts the kernel and device
/// it ran on in front (`{{function_node __wrapped__MatMul_device_/job:...
/// /device:CPU:0}} `) and the op's `name` argument behind the `[Op:...]`
/// tag (` name: concat`, or ` name: ` with none); gradtape has neither, as
/// neither is part of what went wrong. Everything else must be equal.
pub fn tf_message_core(tf: &str) -> String {
    let mut s = tf.to_string();
    if let (Some(open), Some(close)) = (s.find(": {{function_node "), s.find("}} ")) {
        if open < close {
            s.replace_range(open + 2..close + 3, "");
        }
    }
    if let Some(op) = s.rfind("[Op:") {
        if let Some(end) = s[op..].find(']') {
            let tail = &s[op + end + 1..];
            if tail.starts_with(" name: ") && !tail[1..].contains('\n') {
                s.truncate(op + end + 1);
            }
        }
    }
    s
}
