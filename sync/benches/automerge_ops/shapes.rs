//! The automerge work Tradeport's drafts cause, on their real shapes, written
//! against automerge's own API only (no `tradeport-sync` types) so the same
//! file compiles against other automerge versions for comparison (see
//! BENCHMARKS.md, "automerge version").
//!
//! Must never: use an API that differs between the versions compared, or
//! measure work the server and SDK do not do.

use std::time::{Duration, Instant};

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, Automerge, ObjType, ROOT};

/// Lines in the draft every scenario starts from (issue 6's "drafts of 50 lines").
pub const LINES: usize = 50;

/// One scenario's timings and, where it has one, a size in bytes.
pub struct Figures {
    pub name: &'static str,
    pub samples: Vec<Duration>,
    pub bytes: Option<usize>,
    pub note: String,
}

impl Figures {
    fn new(name: &'static str) -> Self {
        Figures {
            name,
            samples: Vec::new(),
            bytes: None,
            note: String::new(),
        }
    }

    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

fn actor(n: u32) -> ActorId {
    let mut bytes = [0_u8; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    bytes[15] = 0xaa;
    ActorId::from(bytes)
}

/// An order draft's header as `OrderDraft::new` writes it, in one change.
fn new_draft(actor_no: u32) -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(actor(actor_no));
    let lines = doc.put_object(ROOT, "lines", ObjType::List).unwrap();
    doc.put(ROOT, "schema", "tradeport.order_draft/1").unwrap();
    doc.put(ROOT, "draft_id", format!("{lines}")).unwrap();
    doc.put(ROOT, "account_id", "acct-000123").unwrap();
    doc.put(ROOT, "ship_to_id", "").unwrap();
    doc.put(ROOT, "po_reference", "").unwrap();
    doc.put(ROOT, "requested_date", "").unwrap();
    doc.put(ROOT, "notes", "").unwrap();
    doc.commit();
    doc
}

/// `OrderDraft::add_line`: one change of one map with four keys.
fn add_line(doc: &mut AutoCommit, sku: &str, quantity: &str) {
    let (_, lines) = automerge::ReadDoc::get(doc, ROOT, "lines")
        .unwrap()
        .unwrap();
    let index = automerge::ReadDoc::length(doc, &lines);
    let line = doc.insert_object(&lines, index, ObjType::Map).unwrap();
    doc.put(&line, "id", format!("{line}")).unwrap();
    doc.put(&line, "sku", sku).unwrap();
    doc.put(&line, "quantity", quantity).unwrap();
    doc.put(&line, "note", "").unwrap();
    doc.commit();
}

/// `OrderDraft::set_quantity` on line `index`: one change of one key.
fn set_quantity(doc: &mut AutoCommit, index: usize, quantity: &str) {
    let (_, lines) = automerge::ReadDoc::get(doc, ROOT, "lines")
        .unwrap()
        .unwrap();
    let (_, line) = automerge::ReadDoc::get(doc, &lines, index)
        .unwrap()
        .unwrap();
    doc.put(&line, "quantity", quantity).unwrap();
    doc.commit();
}

/// A draft of [`LINES`] lines, added by as many changes (how a person builds one).
pub fn draft_of_50_lines(actor_no: u32) -> AutoCommit {
    let mut doc = new_draft(actor_no);
    for i in 0..LINES {
        add_line(&mut doc, &format!("TP-EL-{i:05}"), &format!("{}.5", i + 1));
    }
    doc
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

/// Builds the 50-line draft by 51 changes (header + 50 lines).
pub fn build(iterations: usize) -> Figures {
    let mut fig = Figures::new("build 50-line draft, 51 changes");
    for i in 0..iterations {
        let (elapsed, mut doc) = time(|| draft_of_50_lines(i as u32));
        fig.samples.push(elapsed);
        fig.bytes = Some(doc.save().len());
    }
    fig.note = "bytes: its save".into();
    fig
}

/// `save()` of the 50-line draft.
pub fn save(iterations: usize) -> Figures {
    let mut fig = Figures::new("save 50-line draft");
    let doc = draft_of_50_lines(1);
    for _ in 0..iterations {
        // A fresh copy each time: AutoCommit caches nothing across saves
        // that the server (which saves after applying changes) would have.
        let mut copy = doc.clone();
        let (elapsed, bytes) = time(|| copy.save());
        fig.samples.push(elapsed);
        fig.bytes = Some(bytes.len());
    }
    fig
}

/// `Automerge::load` of the 50-line draft's save.
pub fn load(iterations: usize) -> Figures {
    let mut fig = Figures::new("load 50-line draft");
    let bytes = draft_of_50_lines(1).save();
    for _ in 0..iterations {
        let (elapsed, doc) = time(|| Automerge::load(&bytes).unwrap());
        assert_eq!(automerge::ReadDoc::length(&doc, ROOT), 8);
        fig.samples.push(elapsed);
    }
    fig.bytes = Some(bytes.len());
    fig
}

/// Runs the sync protocol between `a` and `b` until neither has anything to
/// say; returns (rounds, bytes on the wire).
pub fn sync_until_quiet(a: &mut Automerge, b: &mut Automerge) -> (usize, usize) {
    let (mut sa, mut sb) = (State::new(), State::new());
    let (mut rounds, mut bytes) = (0, 0);
    loop {
        let mut quiet = true;
        if let Some(m) = a.generate_sync_message(&mut sa) {
            let wire = m.encode();
            bytes += wire.len();
            b.receive_sync_message(&mut sb, Message::decode(&wire).unwrap())
                .unwrap();
            quiet = false;
        }
        if let Some(m) = b.generate_sync_message(&mut sb) {
            let wire = m.encode();
            bytes += wire.len();
            a.receive_sync_message(&mut sa, Message::decode(&wire).unwrap())
                .unwrap();
            quiet = false;
        }
        if quiet {
            return (rounds, bytes);
        }
        rounds += 1;
        assert!(rounds < 100, "sync did not settle");
    }
}

/// A full sync of the 50-line draft (51 changes) to a peer that has nothing.
pub fn full_sync(iterations: usize) -> Figures {
    let mut fig = Figures::new("full sync to a fresh peer");
    let bytes = draft_of_50_lines(1).save();
    for _ in 0..iterations {
        let mut a = Automerge::load(&bytes).unwrap();
        let mut b = Automerge::new();
        let (elapsed, (rounds, wire)) = time(|| sync_until_quiet(&mut a, &mut b));
        assert_eq!(a.get_heads(), b.get_heads());
        fig.samples.push(elapsed);
        fig.bytes = Some(wire);
        fig.note = format!("{rounds} rounds; bytes: both directions");
    }
    fig
}

/// Issue 6's reconnect, per draft: the server holds the draft as created;
/// a device built all 50 lines offline (50 changes) and now syncs them up.
pub fn offline_edits_sync(iterations: usize) -> Figures {
    let mut fig = Figures::new("sync up 50 offline-added lines");
    let mut created = new_draft(1);
    let base = created.save();
    let mut device = AutoCommit::load(&base).unwrap().with_actor(actor(2));
    for i in 0..LINES {
        add_line(&mut device, &format!("TP-EL-{i:05}"), "1");
    }
    let device_bytes = device.save();
    for _ in 0..iterations {
        let mut server = Automerge::load(&base).unwrap();
        let mut phone = Automerge::load(&device_bytes).unwrap();
        let (elapsed, (rounds, wire)) = time(|| sync_until_quiet(&mut phone, &mut server));
        assert_eq!(server.get_heads(), phone.get_heads());
        fig.samples.push(elapsed);
        fig.bytes = Some(wire);
        fig.note = format!("{rounds} rounds; bytes: both directions");
    }
    fig
}

/// 100 devices each make one small edit (a quantity, or a new line) to the
/// same draft concurrently; all of them are merged into one copy.
pub fn merge_100_concurrent(iterations: usize) -> Figures {
    let mut fig = Figures::new("merge 100 concurrent small edits");
    let base = draft_of_50_lines(1);
    for _ in 0..iterations {
        let mut devices: Vec<AutoCommit> = (0..100_u32)
            .map(|n| {
                let mut d = base.clone().with_actor(actor(1_000 + n));
                if n % 2 == 0 {
                    set_quantity(&mut d, n as usize % LINES, &format!("{n}"));
                } else {
                    add_line(&mut d, &format!("TP-NEW-{n}"), "1");
                }
                d
            })
            .collect();
        let mut merged = base.clone().with_actor(actor(9));
        let (elapsed, ()) = time(|| {
            for d in &mut devices {
                merged.merge(d).unwrap();
            }
        });
        fig.samples.push(elapsed);
        fig.bytes = Some(merged.save().len());
    }
    fig.note = "bytes: save after the merge".into();
    fig
}

/// The draft after 1,000 more small changes (quantity edits) by one device,
/// as the server stores it: the full save from before the edits plus one
/// incremental save per change.
pub fn thousand_changes() -> (Vec<u8>, Vec<Vec<u8>>, Vec<u8>) {
    let mut doc = draft_of_50_lines(1);
    let base = doc.save();
    let mut chunks = Vec::with_capacity(1_000);
    for i in 0..1_000 {
        set_quantity(&mut doc, i % LINES, &format!("{}", i + 2));
        chunks.push(doc.save_incremental());
    }
    (base, chunks, doc.save())
}

/// Making the 1,000 changes (write throughput for many small transactions).
pub fn write_1000_changes(iterations: usize) -> Figures {
    let mut fig = Figures::new("write 1,000 one-key changes");
    for _ in 0..iterations {
        let mut doc = draft_of_50_lines(1);
        let (elapsed, ()) = time(|| {
            for i in 0..1_000 {
                set_quantity(&mut doc, i % LINES, &format!("{}", i + 2));
            }
        });
        fig.samples.push(elapsed);
        fig.bytes = Some(doc.save().len());
    }
    fig.note = "bytes: save after".into();
    fig
}

/// Loading the 1,000-change draft from its full save plus 1,000 incremental saves.
pub fn load_1000_incremental(iterations: usize) -> Figures {
    let mut fig = Figures::new("load save + 1,000 incremental changes");
    let (base, chunks, _) = thousand_changes();
    for _ in 0..iterations {
        let (elapsed, doc) = time(|| {
            let mut doc = Automerge::load(&base).unwrap();
            for chunk in &chunks {
                doc.load_incremental(chunk).unwrap();
            }
            doc
        });
        assert_eq!(doc.get_heads().len(), 1);
        fig.samples.push(elapsed);
    }
    fig.bytes = Some(base.len() + chunks.iter().map(Vec::len).sum::<usize>());
    fig.note = "bytes: save + chunks".into();
    fig
}

/// Loading the same 1,000-change draft from one compacted save.
pub fn load_1000_compacted(iterations: usize) -> Figures {
    let mut fig = Figures::new("load compacted save of 1,051 changes");
    let (_, _, full) = thousand_changes();
    for _ in 0..iterations {
        let (elapsed, doc) = time(|| Automerge::load(&full).unwrap());
        assert_eq!(doc.get_heads().len(), 1);
        fig.samples.push(elapsed);
    }
    fig.bytes = Some(full.len());
    fig
}

/// Every scenario, in the order they are printed.
pub fn all(scale: usize) -> Vec<Figures> {
    vec![
        build(20 * scale),
        save(200 * scale),
        load(200 * scale),
        full_sync(50 * scale),
        offline_edits_sync(50 * scale),
        merge_100_concurrent(5 * scale),
        write_1000_changes(5 * scale),
        load_1000_incremental(5 * scale),
        load_1000_compacted(20 * scale),
    ]
}
