"""Process-wide machinery: the kernels' helper threads and the memory governor.

Only whoever owns the process (the command line, the service) sets these up; nothing here is
changed at import time. :mod:`~wellclear.runtime.pool` makes its threads on first use;
:mod:`~wellclear.runtime.memory` changes glibc's allocator only inside a
:class:`~wellclear.runtime.memory.MemoryGovernor` block.
"""
