"""WeCom (企业微信): the 直通 group's messages in (a self-built app's encrypted callback) and unit
group robots' notices out (webhook keys per unit)."""
