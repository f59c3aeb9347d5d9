"""Public verification: a report for any uploaded PDF, the copy check against the register,
and the public record behind a verification code. No login."""
