"""Money and days as reimbursement statements write them: £1,234.50, -£175.00, 1.5 days."""

from django import template

from deployments.reimbursement import days_phrase, money

register = template.Library()


@register.filter(name="money")
def money_filter(amount) -> str:
    return money(amount or 0)


@register.filter(name="days")
def days_filter(days) -> str:
    return days_phrase(days or 0)
