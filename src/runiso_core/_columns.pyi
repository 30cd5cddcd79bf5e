# C-level only (cimported by the cores' batch APIs): the one column validator, see _columns.pxd.
