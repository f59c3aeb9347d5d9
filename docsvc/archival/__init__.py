"""The archive's service side: the classification scheme's versions, the retention tables
and their signed approvals, and the holdings filed under a series with the dates their rule
gives. The rules themselves are the framework-free ``archive`` library's."""
