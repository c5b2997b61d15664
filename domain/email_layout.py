"""The base layout of every HTML email: one centred 600 px table (100% wide on phones), header with the logo,
content, footer with the postal address and the unsubscribe link. STYLE_CSS is inlined into each element;
MEDIA_CSS (the phone rules) stays in a <style data-css-inline="keep">. Placeholders: {style}, {media},
{title}, {accent}, {header}, {content}, {footer}. Pure data."""

from __future__ import annotations

STYLE_CSS = """
body { margin: 0; padding: 0; background: #f4f4f5; }
table { border-collapse: collapse; }
.outer { width: 100%; background: #f4f4f5; }
.card { width: 600px; max-width: 600px; background: #ffffff; }
.header { padding: 20px 32px; }
.content { padding: 8px 32px 24px 32px; font-family: Arial, Helvetica, sans-serif; font-size: 16px;
  line-height: 24px; color: #1f2937; }
.footer { padding: 16px 32px 24px 32px; font-family: Arial, Helvetica, sans-serif; font-size: 12px;
  line-height: 18px; color: #6b7280; }
.brand { font-family: Arial, Helvetica, sans-serif; font-size: 20px; font-weight: bold; color: #111827; }
.logo { display: block; border: 0; height: auto; }
h1 { font-size: 26px; line-height: 32px; margin: 16px 0 8px 0; color: #111827; }
h2 { font-size: 21px; line-height: 28px; margin: 16px 0 8px 0; color: #111827; }
h3 { font-size: 18px; line-height: 24px; margin: 12px 0 6px 0; color: #111827; }
p { margin: 0 0 16px 0; }
ul, ol { margin: 0 0 16px 0; padding-left: 24px; }
img { max-width: 100%; height: auto; border: 0; }
blockquote { margin: 0 0 16px 0; padding-left: 12px; border-left: 3px solid #d1d5db; color: #4b5563; }
.content table { width: 100%; margin: 0 0 16px 0; }
.content td, .content th { border: 1px solid #e5e7eb; padding: 6px 8px; text-align: left; }
.footer a { color: #6b7280; }
"""

MEDIA_CSS = """
@media only screen and (max-width: 620px) {
  .card { width: 100% !important; }
  .header, .content, .footer { padding-left: 16px !important; padding-right: 16px !important; }
}
"""

LAYOUT = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>{title}</title>
<style>{style}
a {{ color: {accent}; }}
a.button {{ display: inline-block; padding: 12px 24px; background: {accent}; color: #ffffff; border-radius: 6px;
  font-weight: bold; text-decoration: none; }}
.bar {{ height: 4px; background: {accent}; }}
</style>
<style data-css-inline="keep">{media}</style>
</head>
<body>
<table class="outer" role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td align="center">
<table class="card" role="presentation" width="600" cellpadding="0" cellspacing="0" border="0">
<tr><td class="bar"></td></tr>
<tr><td class="header">{header}</td></tr>
<tr><td class="content">{content}</td></tr>
<tr><td class="footer">{footer}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>"""
