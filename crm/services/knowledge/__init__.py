"""知识: learning from problems — similar past cases while a problem is typed, the 典型案例库, 共性问题
grouped across firms and handed to a 专班, and the monthly 热点分析. Text is cut into words by
crm.services.knowledge.text, the one tokenizer every part uses."""
