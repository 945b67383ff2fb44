"""Liaison officers (帮扶专员/包联): a user assigned to an enterprise hears of its new orders and
overdue cards (their page, SMS, WeCom), and reports count orders per liaison."""
