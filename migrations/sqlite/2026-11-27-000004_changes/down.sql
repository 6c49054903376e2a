DROP TABLE payment_callbacks;
DROP TABLE payments;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE changes;
DROP TABLE change_counter;
