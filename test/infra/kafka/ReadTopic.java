// Reads a topic from the beginning with Apache Kafka's own Java consumer and
// prints one line per record: partition, offset, base64 value. Tests use it to
// show that batches written by the service (e.g. lz4 or snappy compressed)
// are read by the reference client, not only by kafkajs.
//
//   java -cp '<kafka jars>/*' ReadTopic.java <bootstrap> <topic> <records> <timeout ms>
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class ReadTopic {
  public static void main(String[] args) {
    String bootstrap = args[0];
    String topic = args[1];
    int wanted = Integer.parseInt(args[2]);
    long deadline = System.currentTimeMillis() + Long.parseLong(args[3]);
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("enable.auto.commit", "false");
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic)) partitions.add(new TopicPartition(topic, p.partition()));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      int read = 0;
      while (read < wanted && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          System.out.println(r.partition() + "\t" + r.offset() + "\t" + Base64.getEncoder().encodeToString(r.value()));
          read++;
        }
      }
      if (read < wanted) {
        System.err.println("read " + read + " of " + wanted + " records before the deadline");
        System.exit(2);
      }
    }
  }
}
