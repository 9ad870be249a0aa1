"""The transparency log (审计日志 / 透明日志) as pure rules: canonical events, RFC 9162 Merkle trees,
inclusion and consistency proofs, signed tree heads, receipts and the offline export verifier.

Nothing here touches a database or the network; the service layer stores what these functions compute.
"""
