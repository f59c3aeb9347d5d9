"""The per-process pools that run pyHanko: the signing runtime (keys unlocked for a
session, and the processes that sign) and the isolated verifier processes. Kernel
modules: the ``Services`` registry holds one of each, and features borrow them."""
