"""The public enterprise portal (网上留言): submit a request without an account, track it, add a
supplement and rate the handling online. Every mobile number is proven by an SMS code."""
