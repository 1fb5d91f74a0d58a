//! Nested structures of targets, sources and gradients, like `tf.nest`:
//! `gradient` returns its result in the structure of its sources.

use std::collections::BTreeMap;

/// A leaf, a list (Python's list or tuple) or a dict (flattened in key order, as `tf.nest` does).
#[derive(Clone, Debug, PartialEq)]
pub enum Nest<T> {
    /// One value.
    Leaf(T),
    /// A Python list or tuple.
    List(Vec<Nest<T>>),
    /// A Python dict.
    Dict(BTreeMap<String, Nest<T>>),
}

impl<T> Nest<T> {
    /// The leaves, depth first, dict entries in key order.
    pub fn flatten(&self) -> Vec<&T> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a T>) {
        match self {
            Nest::Leaf(x) => out.push(x),
            Nest::List(v) => v.iter().for_each(|n| n.collect(out)),
            Nest::Dict(m) => m.values().for_each(|n| n.collect(out)),
        }
    }

    /// The same structure with leaves taken in order from `leaves`.
    pub fn pack_as<U>(&self, leaves: &mut impl Iterator<Item = U>) -> Option<Nest<U>> {
        Some(match self {
            Nest::Leaf(_) => Nest::Leaf(leaves.next()?),
            Nest::List(v) => Nest::List(v.iter().map(|n| n.pack_as(leaves)).collect::<Option<_>>()?),
            Nest::Dict(m) => {
                Nest::Dict(m.iter().map(|(k, n)| Some((k.clone(), n.pack_as(leaves)?))).collect::<Option<_>>()?)
            }
        })
    }

    /// The leaf, if this is one.
    pub fn leaf(self) -> Option<T> {
        match self {
            Nest::Leaf(x) => Some(x),
            _ => None,
        }
    }

    /// The items, if this is a list.
    pub fn into_list(self) -> Option<Vec<Nest<T>>> {
        match self {
            Nest::List(v) => Some(v),
            _ => None,
        }
    }
}

impl<T> From<T> for Nest<T> {
    fn from(x: T) -> Nest<T> {
        Nest::Leaf(x)
    }
}
