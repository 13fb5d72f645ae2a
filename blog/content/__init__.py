"""Pure transforms of what authors write: no Flask, no database.

markup (markdown to sanitized HTML), sanitize (the allowlist), timelimit (a time limit for
rendering), reading_time, language (BCP 47 tags, text direction), disclosure (who wrote
a post and how), media (images recognised by their bytes).
"""
