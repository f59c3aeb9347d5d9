"""Signing lines (issue 4): ordered steps of signers, stand-ins, rejections and the inbox."""
