//! Memory freed in bulk, handed back before the next stage asks for more.
//!
//! arrears allocates through mimalloc (the binary's global allocator), which keeps the pages a
//! thread frees for that thread, and for blocks of the same size, until it next allocates
//! such blocks or collects. When a stage frees hundreds of megabytes at its end and the next
//! stage allocates blocks of other sizes, or on other threads, the freed pages may be neither
//! reused nor returned to the system: the next stage's memory comes on top of them. In the
//! messy 1M month that happened in about one run in fourteen, after attribution (a million
//! memos and the attribution's indexes freed), and raised the run's peak from 0.94 GiB to
//! 1.05–1.11 GiB (BENCHMARKS.md).

// The crate that builds and links mimalloc, named so that every binary of the library links it
// (the library's tests do not use it as their allocator).
use mimalloc as _;

extern "C" {
    /// mimalloc's collection of the calling thread's heap: frees from other threads taken in,
    /// empty pages given back to the shared arenas, and with `force` the arenas' free memory
    /// returned to the system at once. Linked with the `mimalloc` crate; when the global
    /// allocator is another (the library's tests), mimalloc's own heaps are empty and this
    /// does nothing.
    fn mi_collect(force: bool);
}

/// Hands back the memory freed so far, on every thread of rayon's pool and on this one.
pub fn give_back_freed() {
    // SAFETY: `mi_collect` takes a plain flag and only works on the calling thread's heap and
    // the shared arenas, which mimalloc guards itself.
    rayon::broadcast(|_| unsafe { mi_collect(true) });
    unsafe { mi_collect(true) };
}

#[cfg(test)]
mod tests {
    use rayon::prelude::*;

    use super::give_back_freed;

    #[test]
    fn gives_back_from_inside_the_pool_and_from_threads_side_by_side() {
        // From the pool's workers inside a join, and from several threads at once (`arrears
        // office` runs companies side by side): each call returns, and the pool still works.
        rayon::join(give_back_freed, give_back_freed);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(give_back_freed);
            }
        });
        let freed: Vec<Vec<u8>> = (0..64).map(|i| vec![0; 1 << (i % 20)]).collect();
        drop(freed);
        give_back_freed();
        let sum: u64 = (0..1000u64).into_par_iter().sum();
        assert_eq!(sum, 499_500);
    }
}
